// Every payload the order agent produces, checked against its schema file.
#include <gtest/gtest.h>

#include "app/http_routes.hpp"
#include "app/price_catalogue.hpp"
#include "commerce/bus/schema.hpp"
#include "domain/order_events.hpp"

namespace order {
namespace {

const commerce::bus::SchemaRegistry& schemas() {
  static auto registry = commerce::bus::SchemaRegistry::load(COMMERCE_SOURCE_DIR "/schemas");
  return registry;
}

const std::string kOrderId = "0190d9b2-6a4e-7cc1-9f00-000000000001";

PricedOrder priced() {
  return PricedOrder{{{"MUG", "Mug", 2, {1250, "EUR"}, {2500, "EUR"}},
                      {"TEE", "T-shirt", 1, {1999, "EUR"}, {1999, "EUR"}}},
                     {4499, "EUR"}};
}

TEST(PayloadSchema, OrderPlaced) {
  auto payload = order_placed_payload(kOrderId, "ann@example.com", priced(), "tok_visa");
  EXPECT_EQ(schemas().validate("order.OrderPlaced", 1, payload), std::nullopt);
  payload["total"]["amount_minor"] = 1.5;
  EXPECT_NE(schemas().validate("order.OrderPlaced", 1, payload), std::nullopt);
}

TEST(PayloadSchema, OrderConfirmed) {
  auto payload = order_confirmed_payload(kOrderId, "ann@example.com", {4499, "EUR"});
  EXPECT_EQ(schemas().validate("order.OrderConfirmed", 1, payload), std::nullopt);
  payload["extra"] = 1;
  EXPECT_NE(schemas().validate("order.OrderConfirmed", 1, payload), std::nullopt);
}

TEST(PayloadSchema, OrderCancelled) {
  for (const char* reason :
       {"out_of_stock", "payment_declined:card_declined", "timeout:reserve_stock"}) {
    auto payload = order_cancelled_payload(kOrderId, "ann@example.com", reason);
    EXPECT_EQ(schemas().validate("order.OrderCancelled", 1, payload), std::nullopt) << reason;
  }
}

TEST(PayloadSchema, CommandsWeAccept) {
  EXPECT_EQ(schemas().validate("order.ConfirmOrder", 1, {{"order_id", kOrderId}}), std::nullopt);
  EXPECT_EQ(schemas().validate("order.CancelOrder", 1,
                               {{"order_id", kOrderId}, {"reason", "out_of_stock"}}),
            std::nullopt);
  EXPECT_NE(schemas().validate("order.CancelOrder", 1, {{"order_id", kOrderId}}), std::nullopt);
}

TEST(PayloadSchema, ProductEventsWeReadParse) {
  nlohmann::json product = {{"product_id", "p1"},
                            {"sku", "MUG"},
                            {"title", "Mug"},
                            {"price", {{"amount_minor", 1250}, {"currency", "EUR"}}},
                            {"active", true}};
  auto entry = catalogue_entry_from_json(product);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->price, (Money{1250, "EUR"}));
  EXPECT_TRUE(entry->active);
  product["price"]["amount_minor"] = -1;
  EXPECT_FALSE(catalogue_entry_from_json(product));
}

TEST(OrderView, ShowsLinesAndTimeline) {
  OrderRecord o;
  o.id = kOrderId;
  o.customer_email = "ann@example.com";
  o.total = {4499, "EUR"};
  o.placed_at = "2026-01-01T00:00:00.000Z";
  o.lines = priced().lines;
  o.timeline = {{"2026-01-01T00:00:00.000Z", "placed", nlohmann::json::object()}};
  auto view = order_json(o, true);
  EXPECT_EQ(view["status"], "pending");
  EXPECT_EQ(view["customer"]["email"], "ann@example.com");
  EXPECT_EQ(view["lines"][0]["line_total"]["amount_minor"], 2500);
  EXPECT_EQ(view["timeline"][0]["event"], "placed");
  EXPECT_TRUE(view["cancel_reason"].is_null());
  EXPECT_FALSE(order_json(o, false).contains("timeline"));
}

}  // namespace
}  // namespace order
