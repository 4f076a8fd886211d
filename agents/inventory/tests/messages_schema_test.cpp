// Every payload inventory produces or accepts matches its schema in schemas/inventory.
#include <gtest/gtest.h>

#include "commerce/bus/schema.hpp"
#include "domain/messages.hpp"

namespace inventory {
namespace {

using nlohmann::json;

const commerce::bus::SchemaRegistry& registry() {
  static const auto r = commerce::bus::SchemaRegistry::load(COMMERCE_SOURCE_DIR "/schemas");
  return r;
}

void expect_valid(const std::string& type, const json& payload) {
  const auto error = registry().validate(type, 1, payload);
  EXPECT_FALSE(error) << type << ": " << error.value_or("") << "\n" << payload.dump();
}

const std::string kOrder = "0190f0c2-7a8b-7c3d-9e4f-0123456789ab";

TEST(InventoryPayloads, ProducedEventsMatchSchemas) {
  const std::vector<StockLevel> levels = {{"SKU-1", "main", 2, 0}, {"SKU-1", "east", 5, 1}};
  const auto reserved = decide_reservation(levels, {{"SKU-1", 3}});
  ASSERT_TRUE(reserved.reserved);
  expect_valid(messages::kStockReserved, messages::stock_reserved(kOrder, reserved.allocations));
  const auto failed = decide_reservation(levels, {{"SKU-1", 30}, {"SKU-2", 1}});
  ASSERT_FALSE(failed.reserved);
  expect_valid(messages::kStockReservationFailed,
               messages::stock_reservation_failed(kOrder, failed.shortages));
  expect_valid(messages::kStockReleased, messages::stock_released(kOrder));
  for (const auto& change : reserved.changes) {
    expect_valid(messages::kStockLevelChanged, messages::stock_level_changed(change.after));
  }
}

TEST(InventoryPayloads, AcceptedCommandsMatchSchemasAndParse) {
  const json reserve = {{"order_id", kOrder}, {"lines", {{{"sku", "SKU-1"}, {"quantity", 2}}}}};
  expect_valid(messages::kReserveStock, reserve);
  const auto parsed = messages::parse_reserve_stock(reserve);
  EXPECT_EQ(parsed.order_id, kOrder);
  ASSERT_EQ(parsed.lines.size(), 1u);
  EXPECT_EQ(parsed.lines[0].quantity, 2);
  const json release = {{"order_id", kOrder}, {"reason", "payment_declined"}};
  expect_valid(messages::kReleaseStock, release);
  EXPECT_EQ(messages::parse_release_stock(release).reason, "payment_declined");
}

TEST(InventoryPayloads, SchemasRejectBadCommands) {
  EXPECT_TRUE(registry().validate(messages::kReserveStock, 1,
                                  {{"order_id", kOrder}, {"lines", json::array()}}));
  EXPECT_TRUE(
      registry().validate(messages::kReserveStock, 1,
                          {{"order_id", kOrder}, {"lines", {{{"sku", "A"}, {"quantity", 0}}}}}));
  EXPECT_TRUE(registry().validate(
      messages::kReserveStock, 1,
      {{"order_id", kOrder}, {"lines", {{{"sku", "A"}, {"quantity", 1}}}}, {"extra", 1}}));
  EXPECT_TRUE(registry().validate(messages::kReleaseStock, 1, {{"order_id", kOrder}}));
}

}  // namespace
}  // namespace inventory
