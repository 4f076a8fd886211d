// The payment executable against a real PostgreSQL and the development broker: AuthorizePayment
// and VoidPayment produced to Kafka, the events read back, the authorization view over HTTP.
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
#include "commerce/testing/agent_test.hpp"

namespace {

using namespace std::chrono_literals;
using commerce::bus::Envelope;
using commerce::http::Headers;
using commerce::http::Response;
using commerce::testing::client;
using commerce::testing::error_code;
using commerce::testing::new_merchant;
using commerce::testing::schemas;
using commerce::testing::tenant;
using nlohmann::json;

struct Stack {
  std::unique_ptr<commerce::stack::Fleet> fleet;
  std::unique_ptr<commerce::bus::Producer> producer;
  std::unique_ptr<commerce::stack::EventCollector> events;
  std::string api;
  std::string admin_url;

  Stack() {
    auto& pg = commerce::stack::EmbeddedPostgres::shared();
    auto& broker = commerce::stack::DevBroker::shared();
    commerce::stack::Fleet::Options options;
    options.admin_url = pg.admin_url();
    options.brokers = broker.bootstrap();
    fleet = std::make_unique<commerce::stack::Fleet>(options);
    fleet->start("payment");
    api = fleet->api_url("payment");
    admin_url = pg.admin_url();
    producer = std::make_unique<commerce::bus::Producer>(
        commerce::bus::BusConfig{broker.bootstrap(), "payment-test-commands", {}});
    events = std::make_unique<commerce::stack::EventCollector>(
        broker.bootstrap(), std::vector<std::string>{"commerce.payment.events"}, "payment-test");
  }
};

Stack& stack() { return commerce::testing::suite_stack<Stack>(); }

Envelope command(const std::string& type, const std::string& merchant, json payload) {
  const auto error = schemas().validate(type, 1, payload);
  EXPECT_FALSE(error) << *error;
  return commerce::bus::make_envelope(type, merchant, std::move(payload));
}

Envelope authorize(const std::string& merchant, const std::string& order_id,
                   const std::string& token, std::int64_t amount = 2599) {
  return command("payment.AuthorizePayment", merchant,
                 {{"order_id", order_id},
                  {"amount", {{"amount_minor", amount}, {"currency", "EUR"}}},
                  {"card_token", token}});
}
Envelope void_payment(const std::string& merchant, const std::string& order_id) {
  return command("payment.VoidPayment", merchant,
                 {{"order_id", order_id}, {"reason", "saga_timeout"}});
}

// Produces the envelopes keyed by order id (or `key`), in order, and waits for the broker.
void send(const std::vector<Envelope>& envelopes, const std::string& key = "") {
  std::vector<commerce::bus::OutgoingMessage> out;
  for (const auto& e : envelopes) {
    out.push_back({"commerce.payment.commands",
                   key.empty() ? e.payload.at("order_id").get<std::string>() : key,
                   commerce::bus::to_json_string(e),
                   {}});
  }
  std::string error;
  ASSERT_TRUE(stack().producer->produce_and_wait(std::move(out), 30s, &error)) << error;
}

long query(const std::string& sql) {
  pqxx::connection c(stack().admin_url);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}

TEST(PaymentCommands, ApprovedTokenAuthorizes) {
  const auto m = new_merchant();
  const auto order = commerce::core::uuid_v7();
  send({authorize(m, order, "tok_visa", 4321)});
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentAuthorized", order) == 1; }, 60s));
  const auto event = stack().events->about("order_id", order).at(0);
  EXPECT_EQ(event.key, order);
  EXPECT_EQ(event.envelope.merchant_id, m);
  const auto auth_id = event.envelope.payload["authorization_id"].get<std::string>();
  EXPECT_EQ(auth_id.rfind("auth_", 0), 0u);
  EXPECT_EQ(event.envelope.payload["amount"],
            json::parse(R"({"amount_minor":4321,"currency":"EUR"})"));

  auto r = client().get(stack().api + "/v1/payments/" + order, tenant(m));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto view = json::parse(r.body);
  EXPECT_EQ(view["status"], "authorized");
  EXPECT_EQ(view["authorization_id"], auth_id);
  EXPECT_EQ(view["provider"], "sandbox");
  r = client().get(stack().api + "/v1/payments/" + order, tenant(new_merchant()));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "not_found");
  r = client().get(stack().api + "/v1/payments/" + order);
  EXPECT_EQ(r.status, 401);
}

TEST(PaymentCommands, DeclinedTokensAreDeclinedWithTheirReason) {
  const auto m = new_merchant();
  const std::vector<std::pair<std::string, std::string>> table = {
      {"tok_chargeDeclined", "card_declined"},
      {"tok_chargeDeclinedInsufficientFunds", "insufficient_funds"},
      {"tok_chargeDeclinedExpiredCard", "expired_card"},
      {"tok_bogus", "invalid_card_token"}};
  std::vector<std::string> orders;
  std::vector<Envelope> commands;
  for (const auto& [token, reason] : table) {
    orders.push_back(commerce::core::uuid_v7());
    commands.push_back(authorize(m, orders.back(), token));
  }
  send(commands);
  for (std::size_t i = 0; i < table.size(); ++i) {
    ASSERT_TRUE(commerce::stack::wait_until(
        [&] { return stack().events->count("payment.PaymentDeclined", orders[i]) == 1; }, 60s))
        << table[i].first;
    const auto payload = stack().events->about("order_id", orders[i]).at(0).envelope.payload;
    EXPECT_EQ(payload["reason"], table[i].second);
    EXPECT_EQ(payload["provider_code"], table[i].second);
    EXPECT_EQ(query("SELECT count(*) FROM payment.authorizations WHERE order_id = '" + orders[i] +
                    "' AND status = 'declined' AND decline_reason = '" + table[i].second + "'"),
              1);
  }
}

TEST(PaymentCommands, DuplicateAuthorizePaymentMakesOneAuthorization) {
  const auto m = new_merchant();
  const auto order = commerce::core::uuid_v7();
  const auto first = authorize(m, order, "tok_mastercard");
  // A redelivery of the same message and a second command for the same order.
  send({first, first, authorize(m, order, "tok_mastercard")});
  send({void_payment(m, order)});
  // One order's events share a partition: once PaymentVoided is in, everything before is.
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentVoided", order) == 1; }, 60s));
  EXPECT_EQ(stack().events->count("payment.PaymentAuthorized", order), 1u);
  EXPECT_EQ(stack().events->count("payment.PaymentDeclined", order), 0u);
  EXPECT_EQ(query("SELECT count(*) FROM payment.authorizations WHERE order_id = '" + order + "'"),
            1);
  const auto events = stack().events->about("order_id", order);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].envelope.payload["authorization_id"],
            events[0].envelope.payload["authorization_id"]);
  const auto view =
      json::parse(client().get(stack().api + "/v1/payments/" + order, tenant(m)).body);
  EXPECT_EQ(view["status"], "voided");
  EXPECT_FALSE(view["voided_at"].is_null());
}

TEST(PaymentCommands, VoidBeforeAuthorizeRefusesTheLateAuthorization) {
  const auto m = new_merchant();
  const auto order = commerce::core::uuid_v7();
  send({void_payment(m, order)});
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentVoided", order) == 1; }, 60s));
  EXPECT_TRUE(stack()
                  .events->about("order_id", order)
                  .at(0)
                  .envelope.payload["authorization_id"]
                  .is_null());
  send({authorize(m, order, "tok_visa"), authorize(m, order, "tok_visa")});
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentDeclined", order) == 1; }, 60s));
  const auto declined = stack().events->about("order_id", order).at(1).envelope.payload;
  EXPECT_EQ(declined["reason"], "voided");
  // A marker on the same partition: once it is handled, so is the second late command.
  const auto marker = commerce::core::uuid_v7();
  send({authorize(m, marker, "tok_visa")}, order);
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentAuthorized", marker) == 1; }, 60s));
  EXPECT_EQ(query("SELECT count(*) FROM payment.authorizations WHERE order_id = '" + order +
                  "' AND status = 'voided' AND authorization_id IS NULL"),
            1);
  EXPECT_EQ(stack().events->count("payment.PaymentAuthorized", order), 0u);
}

TEST(PaymentCommands, VoidAfterDeclineAnswersOnce) {
  const auto m = new_merchant();
  const auto order = commerce::core::uuid_v7();
  send({authorize(m, order, "tok_chargeDeclined"), void_payment(m, order), void_payment(m, order)});
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentVoided", order) == 1; }, 60s));
  const auto marker = commerce::core::uuid_v7();
  send({authorize(m, marker, "tok_visa")}, order);
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentAuthorized", marker) == 1; }, 60s));
  EXPECT_EQ(stack().events->count("payment.PaymentVoided", order), 1u);
  EXPECT_TRUE(stack()
                  .events->about("order_id", order)
                  .at(1)
                  .envelope.payload["authorization_id"]
                  .is_null());
  EXPECT_EQ(query("SELECT count(*) FROM payment.authorizations WHERE order_id = '" + order +
                  "' AND status = 'declined'"),
            1);
}

TEST(PaymentCommands, AuthorizeAndVoidInOneBatchVoidTheNewAuthorization) {
  // Sent together, so handled in one batch: the void sees the authorization written before it.
  const auto m = new_merchant();
  const auto order = commerce::core::uuid_v7();
  const auto other = commerce::core::uuid_v7();
  send({authorize(m, order, "tok_visa", 700), authorize(m, other, "tok_visa", 800),
        void_payment(m, order), authorize(m, order, "tok_visa", 700)},
       order);
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentVoided", order) == 1; }, 60s));
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("payment.PaymentAuthorized", other) == 1; }, 60s));
  const auto events = stack().events->about("order_id", order);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].envelope.type, "payment.PaymentAuthorized");
  EXPECT_EQ(events[1].envelope.payload["authorization_id"],
            events[0].envelope.payload["authorization_id"]);
  EXPECT_EQ(query("SELECT count(*) FROM payment.authorizations WHERE order_id = '" + order +
                  "' AND status = 'voided' AND authorization_id IS NOT NULL"),
            1);
  EXPECT_EQ(query("SELECT count(*) FROM payment.authorizations WHERE order_id = '" + other +
                  "' AND status = 'authorized' AND amount_minor = 800"),
            1);
}

}  // namespace
