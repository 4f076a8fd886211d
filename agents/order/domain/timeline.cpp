#include "domain/timeline.hpp"

#include <map>

namespace order {

std::optional<TimelineEntry> timeline_entry_for(const std::string& message_type,
                                                const nlohmann::json& payload) {
  static const std::map<std::string, std::string> kEvents = {
      {"inventory.StockReserved", "stock_reserved"},
      {"inventory.StockReservationFailed", "stock_reservation_failed"},
      {"inventory.StockReleased", "stock_released"},
      {"payment.PaymentAuthorized", "payment_authorized"},
      {"payment.PaymentDeclined", "payment_declined"},
      {"payment.PaymentVoided", "payment_voided"},
  };
  auto found = kEvents.find(message_type);
  if (found == kEvents.end()) return std::nullopt;
  TimelineEntry entry{found->second, nlohmann::json::object()};
  // Everything the event says except the order id (the timeline belongs to that order).
  if (payload.is_object()) {
    for (auto it = payload.begin(); it != payload.end(); ++it) {
      if (it.key() != "order_id") entry.detail[it.key()] = it.value();
    }
  }
  return entry;
}

}  // namespace order
