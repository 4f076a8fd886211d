// The order agent as a real executable against a real PostgreSQL and the development broker:
// POST /v1/orders validation and pricing, merchant scoping, the OrderPlaced event, the commands
// from orchestration, whose saga history fills the timeline. Prices come from the
// product agent executable when it is built, otherwise from product.ProductCreated events.
#include <gtest/gtest.h>

#include <filesystem>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/agent_harness.hpp"
#include "commerce/stack/stack.hpp"

namespace {

using namespace std::chrono_literals;
using commerce::http::Headers;
using commerce::http::Response;
using nlohmann::json;

struct Stack {
  std::unique_ptr<commerce::stack::Fleet> fleet;
  std::unique_ptr<commerce::stack::EventCollector> events;
  std::unique_ptr<commerce::stack::EnvelopePublisher> publisher;
  commerce::http::Client client;
  std::string order_api;
  std::string product_api;  // empty when the product agent is not built
  std::string admin_url;

  Stack() {
    auto& pg = commerce::stack::EmbeddedPostgres::shared();
    auto& broker = commerce::stack::DevBroker::shared();
    admin_url = pg.admin_url();
    commerce::stack::Fleet::Options options;
    options.admin_url = admin_url;
    options.brokers = broker.bootstrap();
    fleet = std::make_unique<commerce::stack::Fleet>(options);
    if (std::filesystem::exists(commerce::stack::bin_dir() + "/product-agent")) {
      fleet->start("product");
      product_api = fleet->api_url("product");
    }
    fleet->start("order");  // gets AGENT_URL_PRODUCT when the product agent runs
    order_api = fleet->api_url("order");
    events = std::make_unique<commerce::stack::EventCollector>(
        broker.bootstrap(), std::vector<std::string>{"commerce.order.events"});
    publisher = std::make_unique<commerce::stack::EnvelopePublisher>(broker.bootstrap());
  }
};

Stack& stack() {
  static Stack s;
  return s;
}

Headers merchant_headers(const std::string& merchant) {
  Headers h;
  if (!merchant.empty()) h.set("X-Merchant-Id", merchant);
  h.set("Content-Type", "application/json");
  return h;
}

Response post_order(const std::string& merchant, const std::string& body) {
  return stack().client.post(stack().order_api + "/v1/orders", body, merchant_headers(merchant));
}
Response post_order(const std::string& merchant, const json& body) {
  return post_order(merchant, body.dump());
}
Response get(const std::string& merchant, const std::string& path) {
  return stack().client.get(stack().order_api + path, merchant_headers(merchant));
}

json order_body(std::vector<std::pair<std::string, json>> lines,
                std::string email = "ann@example.com", json card_token = "tok_visa") {
  json body = {{"customer", {{"email", email}}}, {"payment", {{"card_token", card_token}}}};
  body["lines"] = json::array();
  for (auto& [sku, quantity] : lines)
    body["lines"].push_back({{"sku", sku}, {"quantity", quantity}});
  return body;
}

bool catalogued(const std::string& merchant, const std::string& sku) {
  pqxx::connection c(stack().admin_url);
  pqxx::work tx(c);
  return !tx.exec_params(
                "SELECT 1 FROM \"order\".product_prices WHERE merchant_id = $1 AND "
                "sku = $2",
                merchant, sku)
              .empty();
}

// A product in the catalogue: through the product agent's API when it runs (the order agent
// learns it from its event or by asking), otherwise as a product.ProductCreated event.
void add_product(const std::string& merchant, const std::string& sku, std::int64_t amount,
                 const std::string& currency = "EUR", bool active = true) {
  json product = {{"sku", sku},
                  {"title", "Title of " + sku},
                  {"price", {{"amount_minor", amount}, {"currency", currency}}},
                  {"active", active}};
  if (!stack().product_api.empty()) {
    auto r = stack().client.post(stack().product_api + "/v1/products", product.dump(),
                                 merchant_headers(merchant));
    ASSERT_EQ(r.status, 201) << r.body;
    return;
  }
  product["product_id"] = commerce::core::uuid_v7();
  stack().publisher->publish("commerce.product.events", sku, "product.ProductCreated", merchant,
                             product);
  ASSERT_TRUE(commerce::stack::wait_until([&] { return catalogued(merchant, sku); }, 20s));
}

std::string new_merchant() { return commerce::stack::unique_name("m"); }

void expect_error(const Response& r, int status, const std::string& code,
                  const std::string& field_or_text) {
  EXPECT_EQ(r.status, status) << r.body;
  auto body = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  EXPECT_EQ(body["error"]["code"], code) << r.body;
  EXPECT_NE(body["error"]["message"].get<std::string>().find(field_or_text), std::string::npos)
      << r.body;
}

TEST(OrderAgent, RequiresAMerchant) {
  expect_error(post_order("", order_body({{"MUG", 1}})), 401, "unauthenticated", "");
  expect_error(get("", "/v1/orders"), 401, "unauthenticated", "");
  expect_error(get("", "/v1/orders/0190d9b2-6a4e-7cc1-9f00-000000000001"), 401, "unauthenticated",
               "");
}

TEST(OrderAgent, RejectsInvalidRequestsNamingTheField) {
  const auto m = new_merchant();
  add_product(m, "MUG", 1250);
  expect_error(post_order(m, std::string("{not json")), 400, "invalid_json", "");
  expect_error(post_order(m, order_body({{"MUG", 1}}, "not-an-email")), 422, "validation_failed",
               "customer.email");
  expect_error(post_order(m, order_body({})), 422, "validation_failed", "lines");
  for (json quantity : {json(0), json(-1), json(1.5), json("3"), json(10001), json(1e30)}) {
    expect_error(post_order(m, order_body({{"MUG", quantity}})), 422, "validation_failed",
                 "lines[0].quantity");
  }
  expect_error(post_order(m, order_body({{"MUG", 1}}, "ann@example.com", "")), 422,
               "validation_failed", "payment.card_token");
  std::vector<std::pair<std::string, json>> many;
  for (int i = 0; i < 101; ++i) many.push_back({"S" + std::to_string(i), 1});
  expect_error(post_order(m, order_body(many)), 422, "validation_failed", "lines");
  // Nothing was stored for any of them.
  auto list = json::parse(get(m, "/v1/orders").body);
  EXPECT_TRUE(list["orders"].empty());
}

TEST(OrderAgent, RejectsWhatTheCatalogueCannotPrice) {
  const auto m = new_merchant();
  add_product(m, "MUG", 1250);
  add_product(m, "OLD", 500, "EUR", false);
  add_product(m, "DOLLAR", 700, "USD");
  expect_error(post_order(m, order_body({{"MUG", 1}, {"NOPE-1", 1}})), 422, "unknown_sku",
               "NOPE-1");
  expect_error(post_order(m, order_body({{"OLD", 1}})), 422, "product_inactive", "OLD");
  expect_error(post_order(m, order_body({{"MUG", 1}, {"DOLLAR", 1}})), 422, "currency_mismatch",
               "DOLLAR");
  // Another merchant's catalogue is not ours.
  expect_error(post_order(new_merchant(), order_body({{"MUG", 1}})), 422, "unknown_sku", "MUG");
}

TEST(OrderAgent, PlacesAnOrderPricedFromTheCatalogue) {
  const auto m = new_merchant();
  add_product(m, "MUG", 1250);
  add_product(m, "TEE", 1999);
  // The request's prices, if any, are not even read; duplicate SKUs merge.
  auto r = post_order(m, order_body({{"MUG", 2}, {"TEE", 1}, {"MUG", 1}}));
  ASSERT_EQ(r.status, 201) << r.body;
  auto order = json::parse(r.body);
  const auto id = order["id"].get<std::string>();
  EXPECT_EQ(order["status"], "pending");
  EXPECT_EQ(order["customer"]["email"], "ann@example.com");
  ASSERT_EQ(order["lines"].size(), 2u);
  EXPECT_EQ(order["lines"][0]["sku"], "MUG");
  EXPECT_EQ(order["lines"][0]["quantity"], 3);
  EXPECT_EQ(order["lines"][0]["title"], "Title of MUG");
  EXPECT_EQ(order["lines"][0]["unit_price"], json({{"amount_minor", 1250}, {"currency", "EUR"}}));
  EXPECT_EQ(order["lines"][0]["line_total"]["amount_minor"], 3750);
  EXPECT_EQ(order["total"], json({{"amount_minor", 5749}, {"currency", "EUR"}}));
  EXPECT_FALSE(order["created_at"].get<std::string>().empty());
  ASSERT_EQ(order["timeline"].size(), 1u);
  EXPECT_EQ(order["timeline"][0]["event"], "placed");

  auto placed = stack().events->await("order.OrderPlaced", id);
  ASSERT_TRUE(placed);
  EXPECT_EQ(placed->key, id);
  EXPECT_EQ(placed->envelope.merchant_id, m);
  EXPECT_EQ(placed->envelope.payload["total"]["amount_minor"], 5749);
  EXPECT_EQ(placed->envelope.payload["card_token"], "tok_visa");
  EXPECT_EQ(placed->envelope.payload["lines"][1],
            json({{"sku", "TEE"},
                  {"quantity", 1},
                  {"unit_price", {{"amount_minor", 1999}, {"currency", "EUR"}}},
                  {"line_total", {{"amount_minor", 1999}, {"currency", "EUR"}}}}));

  auto fetched = get(m, "/v1/orders/" + id);
  ASSERT_EQ(fetched.status, 200);
  EXPECT_EQ(json::parse(fetched.body)["total"]["amount_minor"], 5749);
  // Another merchant sees nothing.
  expect_error(get(new_merchant(), "/v1/orders/" + id), 404, "not_found", "");
  expect_error(get(m, "/v1/orders/not-a-uuid"), 404, "not_found", "");
}

TEST(OrderAgent, ARepeatedIdempotencyKeyGetsTheFirstOrderAndNothingNew) {
  const auto m = new_merchant();
  add_product(m, "CUP", 800);
  auto headers = merchant_headers(m);
  headers.set("Idempotency-Key", "retry-" + commerce::core::uuid_v7());
  const auto body = order_body({{"CUP", 2}}).dump();
  // Concurrent and sequential repeats, as a gateway taking over an abandoned claim would send.
  std::vector<Response> answers(4);
  {
    std::vector<std::thread> senders;
    for (auto& answer : answers) {
      senders.emplace_back(
          [&] { answer = stack().client.post(stack().order_api + "/v1/orders", body, headers); });
    }
    for (auto& t : senders) t.join();
  }
  answers.push_back(stack().client.post(stack().order_api + "/v1/orders", body, headers));
  const auto id = json::parse(answers[0].body).value("id", "");
  std::vector<std::string> originals;
  for (const auto& r : answers) {
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(json::parse(r.body)["id"], id);
    if (!r.headers.get("Idempotent-Replayed")) originals.push_back(r.body);
  }
  // One answer placed the order; the others are replays of exactly that answer.
  ASSERT_EQ(originals.size(), 1u);
  for (const auto& r : answers) {
    EXPECT_EQ(r.body, originals[0]);
    if (r.body != originals[0]) continue;
    if (r.headers.get("Idempotent-Replayed")) {
      EXPECT_EQ(r.headers.get("Idempotent-Replayed"), "true");
    }
  }
  ASSERT_TRUE(stack().events->await("order.OrderPlaced", id));

  // The key with another body is refused, and places nothing.
  const auto reused = stack().client.post(stack().order_api + "/v1/orders",
                                          order_body({{"CUP", 3}}).dump(), headers);
  EXPECT_EQ(reused.status, 409) << reused.body;
  EXPECT_EQ(json::parse(reused.body)["error"]["code"], "idempotency_key_reused") << reused.body;

  // After the order moved on, a retry still gets the answer the first POST got.
  stack().publisher->publish("commerce.order.commands", id, "order.ConfirmOrder", m,
                             {{"order_id", id}});
  ASSERT_TRUE(stack().events->await("order.OrderConfirmed", id));
  const auto late = stack().client.post(stack().order_api + "/v1/orders", body, headers);
  EXPECT_EQ(late.status, 201) << late.body;
  EXPECT_EQ(late.body, originals[0]);
  EXPECT_EQ(late.headers.get("Idempotent-Replayed"), "true");
  EXPECT_EQ(json::parse(get(m, "/v1/orders/" + id).body)["status"], "confirmed");
  auto list = json::parse(get(m, "/v1/orders").body);
  EXPECT_EQ(list["orders"].size(), 1u) << list.dump();
  // No OrderPlaced for a second order of this merchant arrives (one would follow right behind).
  std::set<std::string> placed_orders;
  EXPECT_FALSE(stack().events->wait_for(
      [&](const auto& e) {
        if (e.envelope.type == "order.OrderPlaced" && e.envelope.merchant_id == m) {
          placed_orders.insert(e.key);
        }
        return placed_orders.size() > 1;
      },
      std::chrono::seconds(2)));
  EXPECT_EQ(stack().events->count("order.OrderPlaced", id), 1u);
}

TEST(OrderAgent, CommandsConfirmAndCancelOnceAndTheTimelineTellsTheStory) {
  const auto m = new_merchant();
  add_product(m, "MUG", 1250);
  auto a = json::parse(post_order(m, order_body({{"MUG", 1}})).body)["id"].get<std::string>();
  auto b = json::parse(post_order(m, order_body({{"MUG", 2}})).body)["id"].get<std::string>();
  auto& pub = *stack().publisher;
  const std::string commands = "commerce.order.commands";

  // The saga's history arrives with the command: the timeline tells the whole story. Its times
  // come after the placement (a clock read strictly later than the millisecond shown).
  const auto later_than = [](const std::string& t) {
    std::string now;
    EXPECT_TRUE(
        commerce::stack::wait_until([&] { return (now = commerce::core::now_rfc3339()) > t; }, 5s));
    return now;
  };
  const auto reserved_at =
      later_than(json::parse(get(m, "/v1/orders/" + a).body)["timeline"][0]["at"]);
  const auto authorized_at = later_than(reserved_at);
  const json history = json::array(
      {{{"event", "stock_reserved"},
        {"at", commerce::core::now_rfc3339()},
        {"detail", {{"lines", {{{"sku", "MUG"}, {"quantity", 1}, {"location", "main"}}}}}}},
       {{"event", "payment_authorized"},
        {"at", commerce::core::now_rfc3339()},
        {"detail", {{"amount", {{"amount_minor", 1250}, {"currency", "EUR"}}}}}}});
  pub.publish(commands, a, "order.ConfirmOrder", m, {{"order_id", a}, {"history", history}});
  auto confirmed = stack().events->await("order.OrderConfirmed", a);
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->envelope.payload["total"]["amount_minor"], 1250);
  EXPECT_EQ(confirmed->envelope.payload["customer_email"], "ann@example.com");

  // Idempotent repeat and an impossible cancel: nothing changes, nothing is emitted.
  pub.publish(commands, a, "order.ConfirmOrder", m, {{"order_id", a}});
  pub.publish(commands, a, "order.CancelOrder", m, {{"order_id", a}, {"reason", "late"}});

  pub.publish(commands, b, "order.CancelOrder", m, {{"order_id", b}, {"reason", "out_of_stock"}});
  pub.publish(commands, b, "order.CancelOrder", m, {{"order_id", b}, {"reason", "again"}});
  pub.publish(commands, b, "order.ConfirmOrder", m, {{"order_id", b}});
  auto cancelled = stack().events->await("order.OrderCancelled", b);
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->envelope.payload["reason"], "out_of_stock");

  // Markers after all the others, one per order key: once both are handled (their ids are in
  // the inbox) and the outbox is drained, every earlier command was handled and published.
  auto marker_a = pub.publish(commands, a, "order.ConfirmOrder", m, {{"order_id", a}});
  auto marker_b = pub.publish(commands, b, "order.ConfirmOrder", m, {{"order_id", b}});
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        pqxx::connection c(stack().admin_url);
        pqxx::work tx(c);
        return tx.exec_params1("SELECT count(*) FROM \"order\".inbox WHERE message_id IN ($1, $2)",
                               marker_a.id, marker_b.id)[0]
                       .as<long>() == 2 &&
               tx.exec1("SELECT count(*) FROM \"order\".outbox")[0].as<long>() == 0;
      },
      20s));
  // A short window for a wrongly emitted event to reach our reader before we count.
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(stack().events->of("order.OrderConfirmed", a).size(), 1u);
  EXPECT_EQ(stack().events->of("order.OrderCancelled", a).size(), 0u);
  EXPECT_EQ(stack().events->of("order.OrderCancelled", b).size(), 1u);
  EXPECT_EQ(stack().events->of("order.OrderConfirmed", b).size(), 0u);

  auto order_a = json::parse(get(m, "/v1/orders/" + a).body);
  EXPECT_EQ(order_a["status"], "confirmed");
  EXPECT_FALSE(order_a["confirmed_at"].is_null());
  std::vector<std::string> story;
  for (const auto& t : order_a["timeline"]) story.push_back(t["event"]);
  EXPECT_EQ(story, (std::vector<std::string>{"placed", "stock_reserved", "payment_authorized",
                                             "confirmed"}));
  EXPECT_EQ(order_a["timeline"][2]["detail"]["amount"]["amount_minor"], 1250);
  auto order_b = json::parse(get(m, "/v1/orders/" + b).body);
  EXPECT_EQ(order_b["status"], "cancelled");
  EXPECT_EQ(order_b["cancel_reason"], "out_of_stock");
  EXPECT_FALSE(order_b["cancelled_at"].is_null());
}

std::int64_t catalogued_price(const std::string& merchant, const std::string& sku) {
  pqxx::connection c(stack().admin_url);
  pqxx::work tx(c);
  auto rows = tx.exec_params(
      "SELECT amount_minor FROM \"order\".product_prices WHERE merchant_id = $1 AND sku = $2",
      merchant, sku);
  return rows.empty() ? -1 : rows[0][0].as<std::int64_t>();
}

TEST(OrderAgent, CatalogueFollowsProductEventsNewestFirst) {
  const auto m = new_merchant();
  const auto product_id = commerce::core::uuid_v7();
  auto product = [&](std::int64_t amount, bool active) {
    return json{{"product_id", product_id},
                {"sku", "EVT"},
                {"title", "From events"},
                {"price", {{"amount_minor", amount}, {"currency", "EUR"}}},
                {"active", active}};
  };
  auto& pub = *stack().publisher;
  pub.publish("commerce.product.events", "EVT", "product.ProductCreated", m, product(300, true));
  ASSERT_TRUE(commerce::stack::wait_until([&] { return catalogued_price(m, "EVT") == 300; }, 20s));
  auto r = post_order(m, order_body({{"EVT", 2}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["total"]["amount_minor"], 600);

  pub.publish("commerce.product.events", "EVT", "product.ProductUpdated", m, product(400, true));
  ASSERT_TRUE(commerce::stack::wait_until([&] { return catalogued_price(m, "EVT") == 400; }, 20s));
  // An event older than what we hold changes nothing.
  auto stale = commerce::bus::make_envelope("product.ProductUpdated", m, product(1, false));
  stale.occurred_at = "2020-01-01T00:00:00.000Z";
  pub.publish("commerce.product.events", "EVT", stale);
  // A marker on the same key (so the same partition, handled after the stale one), for another
  // merchant so it does not touch ours.
  const auto other = new_merchant();
  pub.publish("commerce.product.events", "EVT", "product.ProductCreated", other, product(7, true));
  ASSERT_TRUE(
      commerce::stack::wait_until([&] { return catalogued_price(other, "EVT") == 7; }, 20s));
  EXPECT_EQ(catalogued_price(m, "EVT"), 400) << "the stale event must not win";
  pub.publish("commerce.product.events", "EVT", "product.ProductUpdated", m, product(500, true));
  ASSERT_TRUE(commerce::stack::wait_until([&] { return catalogued_price(m, "EVT") == 500; }, 20s));
  r = post_order(m, order_body({{"EVT", 1}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["total"]["amount_minor"], 500);

  pub.publish("commerce.product.events", "EVT", "product.ProductUpdated", m, product(500, false));
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        return post_order(m, order_body({{"EVT", 1}})).status == 422;
      },
      20s));
  expect_error(post_order(m, order_body({{"EVT", 1}})), 422, "product_inactive", "EVT");

  // Active again at another price: what the agent last read (inactive, 500) is not what it
  // prices from once the catalogue says otherwise.
  pub.publish("commerce.product.events", "EVT", "product.ProductUpdated", m, product(650, true));
  ASSERT_TRUE(commerce::stack::wait_until([&] { return catalogued_price(m, "EVT") == 650; }, 20s));
  r = post_order(m, order_body({{"EVT", 2}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["total"]["amount_minor"], 1300);
  EXPECT_EQ(json::parse(r.body)["lines"][0]["unit_price"]["amount_minor"], 650);
}

TEST(OrderAgent, ListsOrdersNewestFirstInPages) {
  const auto m = new_merchant();
  add_product(m, "MUG", 100);
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto r = post_order(m, order_body({{"MUG", i + 1}}));
    ASSERT_EQ(r.status, 201);
    ids.push_back(json::parse(r.body)["id"]);
  }
  stack().publisher->publish("commerce.order.commands", ids[1], "order.CancelOrder", m,
                             {{"order_id", ids[1]}, {"reason", "out_of_stock"}});
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 5; ++page) {
    auto r = get(m, "/v1/orders?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(r.status, 200) << r.body;
    auto body = json::parse(r.body);
    EXPECT_LE(body["orders"].size(), 2u);
    for (const auto& o : body["orders"]) seen.push_back(o["id"]);
    if (body["next_cursor"].is_null()) break;
    cursor = body["next_cursor"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[4], ids[3], ids[2], ids[1], ids[0]}));
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        auto body = json::parse(get(m, "/v1/orders?status=cancelled").body);
        return body["orders"].size() == 1 && body["orders"][0]["id"] == ids[1];
      },
      20s));
  EXPECT_EQ(json::parse(get(m, "/v1/orders?status=pending").body)["orders"].size(), 4u);
  expect_error(get(m, "/v1/orders?limit=0"), 422, "validation_failed", "limit");
  expect_error(get(m, "/v1/orders?status=shipped"), 422, "validation_failed", "status");
  expect_error(get(m, "/v1/orders?cursor=zzz"), 422, "validation_failed", "cursor");
}

// Last in this file: it stops the product agent for the rest of the run.
TEST(OrderAgent, AMissThatTheProductAgentCannotAnswerIs503AndPlacesNothing) {
  if (stack().product_api.empty()) GTEST_SKIP() << "the product agent is not built";
  const auto m = new_merchant();
  add_product(m, "KNOWN", 100);
  ASSERT_TRUE(commerce::stack::wait_until([&] { return catalogued(m, "KNOWN"); }, 20s));
  for (const auto& instance : stack().fleet->instances()) {
    if (instance.rfind("product-", 0) == 0) stack().fleet->stop(instance);
  }
  // A SKU the catalogue has never seen must be asked of the product agent, which is down.
  expect_error(post_order(m, order_body({{"KNOWN", 1}, {"NEVER-SEEN", 1}})), 503,
               "dependency_unavailable", "catalogue");
  EXPECT_TRUE(json::parse(get(m, "/v1/orders").body)["orders"].empty());
  // What the catalogue holds still prices without it.
  auto r = post_order(m, order_body({{"KNOWN", 2}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["total"]["amount_minor"], 200);
}

}  // namespace
