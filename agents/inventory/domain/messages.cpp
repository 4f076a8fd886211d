#include "domain/messages.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace inventory::messages {

using nlohmann::json;

namespace {

std::string required_string(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
    throw std::invalid_argument(std::string("payload.") + field + " must be a string");
  }
  return j[field].get<std::string>();
}

}  // namespace

ReserveStock parse_reserve_stock(const json& payload) {
  ReserveStock command;
  command.order_id = required_string(payload, "order_id");
  if (!payload.contains("lines") || !payload["lines"].is_array() || payload["lines"].empty()) {
    throw std::invalid_argument("payload.lines must be a non-empty array");
  }
  for (const auto& line : payload["lines"]) {
    OrderLine l;
    l.sku = required_string(line, "sku");
    if (!line.contains("quantity") || !line["quantity"].is_number_integer()) {
      throw std::invalid_argument("payload.lines[].quantity must be an integer");
    }
    l.quantity = line["quantity"].get<std::int64_t>();
    if (l.quantity < 1 || l.quantity > kMaxQuantity) {
      throw std::invalid_argument("payload.lines[].quantity out of range");
    }
    command.lines.push_back(std::move(l));
  }
  return command;
}

ReleaseStock parse_release_stock(const json& payload) {
  ReleaseStock command;
  command.order_id = required_string(payload, "order_id");
  command.reason = payload.contains("reason") && payload["reason"].is_string()
                       ? payload["reason"].get<std::string>()
                       : std::string();
  return command;
}

json stock_reserved(const std::string& order_id, const std::vector<Allocation>& lines) {
  json out = json::array();
  for (const auto& a : lines) {
    out.push_back({{"sku", a.sku}, {"quantity", a.quantity}, {"location", a.location}});
  }
  return {{"order_id", order_id}, {"lines", out}};
}

json stock_reservation_failed(const std::string& order_id, const std::vector<Shortage>& shortages) {
  json out = json::array();
  for (const auto& s : shortages) {
    out.push_back({{"sku", s.sku}, {"requested", s.requested}, {"available", s.available}});
  }
  return {{"order_id", order_id}, {"reason", "out_of_stock"}, {"shortages", out}};
}

json stock_released(const std::string& order_id) { return {{"order_id", order_id}}; }

json stock_level_changed(const StockLevel& level) {
  return {{"sku", level.sku},
          {"location", level.location},
          {"on_hand", level.on_hand},
          {"reserved", level.reserved},
          {"available", level.available()}};
}

json stock_view(const std::string& sku, const std::vector<StockLevel>& levels) {
  std::vector<StockLevel> sorted = levels;
  std::sort(sorted.begin(), sorted.end(), allocation_order);
  std::int64_t on_hand = 0, reserved = 0;
  json locations = json::array();
  for (const auto& l : sorted) {
    on_hand += l.on_hand;
    reserved += l.reserved;
    locations.push_back({{"location", l.location},
                         {"on_hand", l.on_hand},
                         {"reserved", l.reserved},
                         {"available", l.available()}});
  }
  return {{"sku", sku},
          {"available", on_hand - reserved},
          {"on_hand", on_hand},
          {"reserved", reserved},
          {"locations", locations}};
}

}  // namespace inventory::messages
