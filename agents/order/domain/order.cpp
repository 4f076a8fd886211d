#include "domain/order.hpp"

namespace order {

std::string to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::pending:
      return "pending";
    case OrderStatus::confirmed:
      return "confirmed";
    case OrderStatus::cancelled:
      return "cancelled";
  }
  return "pending";
}

std::optional<OrderStatus> parse_status(const std::string& text) {
  if (text == "pending") return OrderStatus::pending;
  if (text == "confirmed") return OrderStatus::confirmed;
  if (text == "cancelled") return OrderStatus::cancelled;
  return std::nullopt;
}

namespace {

OrderDecision decide_confirm(OrderStatus current) {
  switch (current) {
    case OrderStatus::pending:
      return {Outcome::apply, OrderStatus::confirmed, "confirmed", "order confirmed"};
    case OrderStatus::confirmed:
      return {Outcome::already_done, current, "", "order already confirmed"};
    case OrderStatus::cancelled:
      return {Outcome::impossible, current, "", "cannot confirm a cancelled order"};
  }
  return {Outcome::impossible, current, "", "unknown status"};
}

OrderDecision decide_cancel(OrderStatus current) {
  switch (current) {
    case OrderStatus::pending:
      return {Outcome::apply, OrderStatus::cancelled, "cancelled", "order cancelled"};
    case OrderStatus::cancelled:
      return {Outcome::already_done, current, "", "order already cancelled"};
    case OrderStatus::confirmed:
      return {Outcome::impossible, current, "", "cannot cancel a confirmed order"};
  }
  return {Outcome::impossible, current, "", "unknown status"};
}

}  // namespace

OrderDecision decide(OrderStatus current, const OrderCommand& command) {
  if (std::holds_alternative<ConfirmOrder>(command)) return decide_confirm(current);
  return decide_cancel(current);
}

}  // namespace order
