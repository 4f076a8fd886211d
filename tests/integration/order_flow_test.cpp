// The PlaceOrder saga end to end through the gateway, and what the gateway refuses.
// Assertions read both the HTTP answers and the agents' own tables.
#include <string>
#include <vector>

#include "commerce/core/ids.hpp"
#include "fleet_fixture.hpp"

namespace commerce::integration {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::vector<std::string> timeline_events(const json& order) {
  std::vector<std::string> events;
  for (const auto& e : order.at("timeline")) events.push_back(e.at("event").get<std::string>());
  return events;
}

class OrderFlow : public FleetTest {};

TEST_F(OrderFlow, HappyPathConfirmsReservesAuthorizesAndNotifiesOnce) {
  const auto sku = add_product("TEE", 1250, 10);
  const auto order_id = place({{sku, 2}});

  const json order = wait_final(order_id);
  EXPECT_EQ(order.value("status", ""), "confirmed") << order.dump();
  EXPECT_EQ(order.at("total").at("amount_minor").get<std::int64_t>(), 2500);
  EXPECT_EQ(order.at("total").at("currency").get<std::string>(), "EUR");
  const auto events = timeline_events(order);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front(), "placed") << order.at("timeline").dump();
  EXPECT_EQ(events.back(), "confirmed") << order.at("timeline").dump();

  const json level = stock(sku);
  EXPECT_EQ(level.at("on_hand").get<std::int64_t>(), 10);
  EXPECT_EQ(level.at("reserved").get<std::int64_t>(), 2);
  EXPECT_EQ(level.at("available").get<std::int64_t>(), 8);

  EXPECT_EQ(rows("inventory.reservations", order_id), 1);
  EXPECT_EQ(rows("payment.authorizations", order_id), 1);
  EXPECT_EQ(wait_for_count([&] { return notifications(order_id, "order_confirmed"); }, 1), 1);
  EXPECT_EQ(rows("notification.notifications", order_id), 1);
}

TEST_F(OrderFlow, DeclinedCardCancelsAndReleasesStock) {
  const auto sku = add_product("HOODIE", 4999, 10);
  const auto order_id = place({{sku, 3}}, "tok_chargeDeclined");

  const json order = wait_final(order_id);
  EXPECT_EQ(order.value("status", ""), "cancelled") << order.dump();
  EXPECT_NE(order.value("cancel_reason", json("")).dump().find("card_declined"), std::string::npos)
      << order.dump();
  EXPECT_EQ(timeline_events(order).back(), "cancelled");

  // Compensation gives the three units back.
  json level;
  EXPECT_TRUE(stack::wait_until(
      [&] {
        level = stock(sku);
        return level.at("available").get<std::int64_t>() == 10;
      },
      30s))
      << level.dump();
  EXPECT_EQ(level.at("reserved").get<std::int64_t>(), 0);
  EXPECT_EQ(level.at("on_hand").get<std::int64_t>(), 10);

  EXPECT_EQ(wait_for_count([&] { return notifications(order_id, "order_cancelled"); }, 1), 1);
  EXPECT_EQ(notifications(order_id, "order_confirmed"), 0);
  EXPECT_EQ(rows("notification.notifications", order_id), 1);
}

TEST_F(OrderFlow, OutOfStockCancelsWithoutAskingForPayment) {
  const auto sku = add_product("POSTER", 2999, 1);
  const auto order_id = place({{sku, 5}});

  const json order = wait_final(order_id);
  EXPECT_EQ(order.value("status", ""), "cancelled") << order.dump();
  EXPECT_NE(order.value("cancel_reason", json("")).dump().find("out_of_stock"), std::string::npos)
      << order.dump();
  EXPECT_EQ(wait_for_count([&] { return notifications(order_id, "order_cancelled"); }, 1), 1);
  EXPECT_EQ(rows("payment.authorizations", order_id), 0);
  const json level = stock(sku);
  EXPECT_EQ(level.at("on_hand").get<std::int64_t>(), 1);
  EXPECT_EQ(level.at("reserved").get<std::int64_t>(), 0);
}

TEST_F(OrderFlow, MerchantsSeeOnlyTheirOwnOrders) {
  const auto sku_a = add_product("MUG", 899, 100);
  const auto order_a = place({{sku_a, 1}});

  const auto other = new_merchant("Other tenant");
  const std::string sku_b = "CAP-" + core::random_hex(8);
  gateway().create_product(other.api_key, sku_b, "Cap", 1499);
  gateway().set_stock(other.api_key, sku_b, 100);
  const auto order_b = gateway().place_order_reliably(
      other.api_key, scenario::GatewayClient::order_body("b@example.com", {{sku_b, 1}}, "tok_visa"),
      core::uuid_v7());

  auto r = gateway().order(other.api_key, order_a);
  EXPECT_EQ(r.status, 404) << r.body;
  r = gateway().order(merchant_.api_key, order_b);
  EXPECT_EQ(r.status, 404) << r.body;
  r = gateway().call("GET", "/v1/stock/" + sku_a, other.api_key);
  EXPECT_EQ(r.status, 404) << r.body;

  r = gateway().call("GET", "/v1/orders", merchant_.api_key);
  ASSERT_EQ(r.status, 200) << r.body;
  std::vector<std::string> ids;
  const json listed = json::parse(r.body);  // kept alive: the loop refers into it
  for (const auto& o : listed.at("orders")) ids.push_back(o.at("id").get<std::string>());
  EXPECT_NE(std::find(ids.begin(), ids.end(), order_a), ids.end()) << r.body;
  EXPECT_EQ(std::find(ids.begin(), ids.end(), order_b), ids.end()) << r.body;
}

TEST_F(OrderFlow, GatewayRejectsBadInputClearlyAndLosesNothing) {
  const auto sku = add_product("SOCKS", 1299, 100);
  const auto error_code = [](const http::Response& r) {
    try {
      return json::parse(r.body).at("error").at("code").get<std::string>();
    } catch (const std::exception&) {
      return std::string("(no error body: ") + r.body + ")";
    }
  };
  const auto post_order = [&](const std::string& body, const std::string& key = "") {
    http::Headers h;
    h.set("Content-Type", "application/json");
    if (!key.empty()) h.set("Idempotency-Key", key);
    return gateway().call("POST", "/v1/orders", merchant_.api_key, body, h);
  };

  auto r = post_order("{\"customer_email\": ");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(error_code(r), "invalid_json");

  const std::string good =
      scenario::GatewayClient::order_body("x@example.com", {{sku, 1}}, "tok_visa").dump();
  http::Headers no_auth;
  no_auth.set("Content-Type", "application/json");
  r = gateway().call("POST", "/v1/orders", "", good, no_auth);
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(error_code(r), "unauthenticated");
  r = gateway().call("POST", "/v1/orders", "ck_unknown_key_" + core::random_hex(16), good);
  EXPECT_EQ(r.status, 401) << r.body;

  r = gateway().call("GET", "/v1/no-such-thing", merchant_.api_key);
  EXPECT_EQ(r.status, 404) << r.body;
  r = gateway().call("DELETE", "/v1/orders", merchant_.api_key);
  EXPECT_EQ(r.status, 405) << r.body;

  r = post_order(std::string(2 * 1024 * 1024, 'x'));
  EXPECT_EQ(r.status, 413) << r.body.substr(0, 200);

  r = post_order(
      scenario::GatewayClient::order_body("x@example.com", {{"NO-SUCH-SKU", 1}}, "tok_visa")
          .dump());
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_NE(r.body.find("NO-SUCH-SKU"), std::string::npos) << r.body;

  for (const json& quantity : {json(0), json(-1), json(1.5), json("2"), json(1000000000)}) {
    json body = json::parse(good);
    body["lines"][0]["quantity"] = quantity;
    r = post_order(body.dump());
    EXPECT_EQ(r.status, 422) << "quantity " << quantity.dump() << ": " << r.body;
    EXPECT_NE(r.body.find("quantity"), std::string::npos) << r.body;
  }

  // Idempotency-Key: the same request again is the same order; another body under it is 409.
  const std::string key = "idem-" + core::random_hex(12);
  r = post_order(good, key);
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string first_id = json::parse(r.body).at("id").get<std::string>();
  r = post_order(good, key);
  ASSERT_TRUE(r.status == 201 || r.status == 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("id").get<std::string>(), first_id);
  json other_body = json::parse(good);
  other_body["lines"][0]["quantity"] = 2;
  r = post_order(other_body.dump(), key);
  EXPECT_EQ(r.status, 409) << r.body;

  // Nothing above except the one idempotent order created anything.
  const auto counted = scenario::count_outcomes(admin_url(), merchant_.id);
  EXPECT_EQ(counted.placed, 1);
  EXPECT_EQ(wait_final(first_id).value("status", ""), "confirmed");
}

}  // namespace
}  // namespace commerce::integration
