// The notification agent as a real executable against a real PostgreSQL and the development
// broker: order events in, one e-mail and one NotificationSent per order and kind out.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <vector>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/kafka.hpp"
#include "commerce/bus/schema.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/agent_harness.hpp"
#include "commerce/stack/stack.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Stack {
  std::unique_ptr<commerce::stack::Fleet> fleet;
  std::unique_ptr<commerce::bus::Producer> producer;
  std::unique_ptr<commerce::stack::EventCollector> events;
  std::string admin_url;

  Stack() {
    auto& pg = commerce::stack::EmbeddedPostgres::shared();
    auto& broker = commerce::stack::DevBroker::shared();
    commerce::stack::Fleet::Options options;
    options.admin_url = pg.admin_url();
    options.brokers = broker.bootstrap();
    fleet = std::make_unique<commerce::stack::Fleet>(options);
    fleet->start("notification");
    admin_url = pg.admin_url();
    producer = std::make_unique<commerce::bus::Producer>(
        commerce::bus::BusConfig{broker.bootstrap(), "notification-test-producer", {}});
    events = std::make_unique<commerce::stack::EventCollector>(
        broker.bootstrap(), std::vector<std::string>{"commerce.notification.events"},
        "notification-test");
  }
};

std::unique_ptr<Stack> running_stack;

Stack& stack() {
  if (!running_stack) running_stack = std::make_unique<Stack>();
  return *running_stack;
}

// NotificationSent events of `kind` for `order_id`, in arrival order.
std::vector<commerce::bus::Envelope> sent_notifications(const std::string& order_id,
                                                        const std::string& kind) {
  std::vector<commerce::bus::Envelope> out;
  for (auto& r : stack().events->matching([&](const commerce::stack::ReceivedEvent& r) {
         return r.envelope.type == "notification.NotificationSent" &&
                r.envelope.payload.value("order_id", "") == order_id &&
                r.envelope.payload.value("kind", "") == kind;
       })) {
    out.push_back(std::move(r.envelope));
  }
  return out;
}

// Stops the agents and our consumers while main() still runs, not during static destruction
// (when the logging library may already be gone).
class StackTeardown : public ::testing::Environment {
 public:
  void TearDown() override { running_stack.reset(); }
};
const auto* const teardown = ::testing::AddGlobalTestEnvironment(new StackTeardown);

void publish(const commerce::bus::Envelope& e) {
  std::string error;
  ASSERT_TRUE(stack().producer->produce_and_wait({{"commerce.order.events",
                                                   e.payload["order_id"].get<std::string>(),
                                                   commerce::bus::to_json_string(e),
                                                   {}}},
                                                 10s, &error))
      << error;
}

long long count(const std::string& sql, const std::string& a, const std::string& b) {
  pqxx::connection db(stack().admin_url);
  pqxx::work tx(db);
  return tx.exec_params1(sql, a, b)[0].as<long long>();
}

TEST(Notification, ConfirmedTwiceSendsOneEmailAndOneEvent) {
  const std::string merchant = commerce::core::uuid_v7();
  const std::string order = commerce::core::uuid_v7();
  const json confirmed = {{"order_id", order},
                          {"customer_email", "ann@example.com"},
                          {"total", {{"amount_minor", 4999}, {"currency", "EUR"}}}};
  const auto first = commerce::bus::make_envelope("order.OrderConfirmed", merchant, confirmed);
  publish(first);
  publish(first);  // redelivery of the same message
  // The same fact under another message id (a replayed producer): the unique row decides.
  publish(commerce::bus::make_envelope("order.OrderConfirmed", merchant, confirmed));
  // Then a cancellation of the same order: same key, same partition, handled after the above.
  publish(commerce::bus::make_envelope(
      "order.OrderCancelled", merchant,
      {{"order_id", order}, {"customer_email", "ann@example.com"}, {"reason", "out_of_stock"}}));

  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return sent_notifications(order, "order_cancelled").size() == 1; }, 30s));

  EXPECT_EQ(count("SELECT count(*) FROM notification.emails WHERE order_id = $1 AND kind = $2",
                  order, "order_confirmed"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM notification.notifications WHERE order_id = $1 AND "
                  "kind = $2",
                  order, "order_confirmed"),
            1);
  const auto sent = sent_notifications(order, "order_confirmed");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].merchant_id, merchant);
  EXPECT_EQ(sent[0].correlation_id, first.correlation_id);  // carries the order flow's id
  EXPECT_EQ(sent[0].payload["recipient"], "ann@example.com");
  EXPECT_EQ(sent[0].payload["channel"], "email");

  pqxx::connection db(stack().admin_url);
  pqxx::work tx(db);
  const auto email = tx.exec_params1(
      "SELECT subject, body, recipient, merchant_id FROM notification.emails "
      "WHERE order_id = $1 AND kind = 'order_confirmed'",
      order);
  EXPECT_NE(email[0].as<std::string>().find(order), std::string::npos);
  EXPECT_NE(email[1].as<std::string>().find("EUR 49.99"), std::string::npos);
  EXPECT_EQ(email[2].as<std::string>(), "ann@example.com");
  EXPECT_EQ(email[3].as<std::string>(), merchant);
  const auto cancel = tx.exec_params1(
      "SELECT body FROM notification.emails WHERE order_id = $1 AND kind = 'order_cancelled'",
      order);
  EXPECT_NE(cancel[0].as<std::string>().find("out of stock"), std::string::npos);
}

TEST(Notification, ListIsScopedToTheMerchant) {
  const std::string merchant = commerce::core::uuid_v7();
  const std::string order = commerce::core::uuid_v7();
  publish(commerce::bus::make_envelope(
      "order.OrderCancelled", merchant,
      {{"order_id", order}, {"customer_email", "bob@example.com"}, {"reason", "card_declined"}}));
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return sent_notifications(order, "order_cancelled").size() == 1; }, 30s));

  commerce::http::Client client;
  const std::string url =
      stack().fleet->api_url("notification") + "/v1/notifications?order_id=" + order;
  commerce::http::Headers mine;
  mine.set("X-Merchant-Id", merchant);
  auto r = client.get(url, mine);
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = json::parse(r.body);
  ASSERT_EQ(doc["notifications"].size(), 1u);
  EXPECT_EQ(doc["notifications"][0]["kind"], "order_cancelled");
  EXPECT_EQ(doc["notifications"][0]["recipient"], "bob@example.com");

  commerce::http::Headers theirs;
  theirs.set("X-Merchant-Id", commerce::core::uuid_v7());
  r = client.get(url, theirs);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["notifications"].size(), 0u);

  EXPECT_EQ(client.get(url).status, 401);
}

TEST(Notification, NotificationSentMatchesItsSchema) {
  const std::string order = commerce::core::uuid_v7();
  publish(commerce::bus::make_envelope("order.OrderConfirmed", commerce::core::uuid_v7(),
                                       {{"order_id", order},
                                        {"customer_email", "cy@example.com"},
                                        {"total", {{"amount_minor", 100}, {"currency", "JPY"}}}}));
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return sent_notifications(order, "order_confirmed").size() == 1; }, 30s));
  const auto registry =
      commerce::bus::SchemaRegistry::load(commerce::stack::source_dir() + "/schemas");
  const auto e = sent_notifications(order, "order_confirmed")[0];
  EXPECT_EQ(registry.validate(e.type, e.version, e.payload), std::nullopt);
}

}  // namespace
