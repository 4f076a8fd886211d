#pragma once
// The wire form of inventory's commands and events (payloads only; the envelope is the bus's).
// Pure: builds and reads JSON, no I/O. Checked against schemas/inventory/*.json by the tests.
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "domain/stock.hpp"

namespace inventory::messages {

inline constexpr const char* kReserveStock = "inventory.ReserveStock";
inline constexpr const char* kReleaseStock = "inventory.ReleaseStock";
inline constexpr const char* kStockReserved = "inventory.StockReserved";
inline constexpr const char* kStockReservationFailed = "inventory.StockReservationFailed";
inline constexpr const char* kStockReleased = "inventory.StockReleased";
inline constexpr const char* kStockLevelChanged = "inventory.StockLevelChanged";

struct ReserveStock {
  std::string order_id;
  std::vector<OrderLine> lines;
};
struct ReleaseStock {
  std::string order_id;
  std::string reason;
};

// Payloads arrive schema-checked by the dispatcher; these throw std::invalid_argument on
// anything the schema should have caught.
ReserveStock parse_reserve_stock(const nlohmann::json& payload);
ReleaseStock parse_release_stock(const nlohmann::json& payload);

nlohmann::json stock_reserved(const std::string& order_id, const std::vector<Allocation>& lines);
nlohmann::json stock_reservation_failed(const std::string& order_id,
                                        const std::vector<Shortage>& shortages);
nlohmann::json stock_released(const std::string& order_id);
nlohmann::json stock_level_changed(const StockLevel& level);

// The view served by GET /v1/stock/{sku}: totals and per-location levels.
nlohmann::json stock_view(const std::string& sku, const std::vector<StockLevel>& levels);

}  // namespace inventory::messages
