#pragma once
// The order's lifecycle: pending -> confirmed | cancelled. Pure: no Kafka, no PostgreSQL.
#include <optional>
#include <string>
#include <variant>

namespace order {

enum class OrderStatus { pending, confirmed, cancelled };

std::string to_string(OrderStatus status);
std::optional<OrderStatus> parse_status(const std::string& text);

struct ConfirmOrder {};
struct CancelOrder {
  std::string reason;
};
using OrderCommand = std::variant<ConfirmOrder, CancelOrder>;

enum class Outcome {
  apply,         // change the status, record it, emit the event
  already_done,  // idempotent repeat: nothing changes, nothing is emitted
  impossible,    // confirm a cancelled order or cancel a confirmed one: logged, nothing emitted
};

struct OrderDecision {
  Outcome outcome = Outcome::impossible;
  OrderStatus status = OrderStatus::pending;  // the status after the command
  std::string timeline_event;                 // "confirmed" / "cancelled" when applied
  std::string note;                           // why, for logs
};

OrderDecision decide(OrderStatus current, const OrderCommand& command);

}  // namespace order
