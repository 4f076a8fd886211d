#pragma once
// The PlaceOrder saga as a pure state machine (docs/architecture.md, "The PlaceOrder saga").
//
//   reserving --StockReserved--> authorizing --PaymentAuthorized--> confirming --OrderConfirmed-->
//   completed reserving --StockReservationFailed--> cancelling --OrderCancelled--> compensated
//   authorizing --PaymentDeclined--> releasing --StockReleased--> cancelling --> compensated
//   timeouts: reserving -> releasing -> cancelling;  authorizing -> voiding -> releasing ->
//   cancelling;
//             confirming and every compensation step re-send their command (all are idempotent).
//
// No Kafka, no PostgreSQL: the app persists what decide() returns and emits its commands in the
// transaction of the message (or timeout) that caused it.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commerce/core/money.hpp"

namespace orchestration {

using commerce::core::Money;
using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

inline constexpr const char* kPlaceOrderSaga = "place_order";

enum class SagaState {
  reserving,
  authorizing,
  confirming,
  completed,
  voiding,
  releasing,
  cancelling,
  compensated,
};

inline constexpr SagaState kAllStates[] = {
    SagaState::reserving, SagaState::authorizing, SagaState::confirming, SagaState::completed,
    SagaState::voiding,   SagaState::releasing,   SagaState::cancelling, SagaState::compensated};

std::string to_string(SagaState state);
std::optional<SagaState> parse_state(const std::string& text);
bool is_terminal(SagaState state);
// The command a state waits on: reserve_stock, authorize_payment, confirm_order, void_payment,
// release_stock, cancel_order; "" for terminal states.
std::string step_of(SagaState state);

struct SagaLine {
  std::string sku;
  std::int64_t quantity = 0;
  bool operator==(const SagaLine&) const = default;
};

// What the saga carries from OrderPlaced to its end (persisted as JSON).
struct SagaData {
  std::vector<SagaLine> lines;
  Money amount;
  std::string card_token;
  std::string customer_email;
  std::string reason;            // why compensation runs; "" on the happy path
  bool order_cancelled = false;  // the order was cancelled elsewhere: no CancelOrder to send
  int attempts = 1;              // how many times the current step's command was sent
  // What inventory and payment answered, in order: [{event, at, detail}]. ConfirmOrder and
  // CancelOrder carry it, so the order's timeline tells the whole story without the order agent
  // following other agents' events.
  nlohmann::json history = nlohmann::json::array();
  bool operator==(const SagaData&) const = default;
};

nlohmann::json to_json(const SagaData& data);
SagaData saga_data_from_json(const nlohmann::json& json);

struct Saga {
  std::string id;
  std::string order_id;
  std::string merchant_id;
  SagaState state = SagaState::reserving;
  TimePoint deadline;
  SagaData data;
};

enum class SagaEventKind {
  stock_reserved,
  stock_reservation_failed,
  stock_released,
  payment_authorized,
  payment_declined,
  payment_voided,
  order_confirmed,
  order_cancelled,
};

inline constexpr SagaEventKind kAllEvents[] = {
    SagaEventKind::stock_reserved,   SagaEventKind::stock_reservation_failed,
    SagaEventKind::stock_released,   SagaEventKind::payment_authorized,
    SagaEventKind::payment_declined, SagaEventKind::payment_voided,
    SagaEventKind::order_confirmed,  SagaEventKind::order_cancelled};

struct SagaEvent {
  SagaEventKind kind;
  std::string reason;  // StockReservationFailed, PaymentDeclined, OrderCancelled
  std::string at;      // when it happened (the envelope's occurred_at)
  nlohmann::json detail = nlohmann::json::object();  // the payload without the order id
};

std::string to_string(SagaEventKind kind);
// The order timeline's name for an answer from inventory or payment ("stock_reserved"); "" for
// the order's own events, which the order agent records itself.
std::string timeline_event(SagaEventKind kind);
// The saga's view of a message; nullopt for types the saga does not follow.
std::optional<SagaEvent> saga_event_from(const std::string& type, const nlohmann::json& payload,
                                         std::string occurred_at = "");

// A command to emit: the message type ("inventory.ReserveStock") and its payload. The key is
// always the order id.
struct SagaCommand {
  std::string type;
  nlohmann::json payload;
};

struct SagaPolicy {
  std::chrono::milliseconds step_timeout{30000};
  // Re-sent commands back off (step_timeout * 2^(attempts-1)) up to this delay.
  std::chrono::milliseconds max_retry_delay{60000};
};

struct SagaDecision {
  bool ignored = false;  // a reply that does not match the current step: recorded, no change
  SagaState from = SagaState::reserving;
  SagaState to = SagaState::reserving;
  SagaData data;
  TimePoint deadline;
  std::vector<SagaCommand> commands;
  std::string note;
  // Set when this decision starts compensating: out_of_stock, payment_declined, timeout or
  // order_cancelled (a bounded metric label).
  std::optional<std::string> compensation;

  bool finished() const { return !is_terminal(from) && is_terminal(to); }
};

struct SagaStart {
  Saga saga;
  SagaCommand command;  // inventory.ReserveStock
  std::string note;
};

// A new saga for an order.OrderPlaced payload. Throws std::invalid_argument on a payload that
// cannot start one (the schema already rules that out).
SagaStart start_place_order(std::string saga_id, std::string merchant_id,
                            const nlohmann::json& order_placed, TimePoint now,
                            const SagaPolicy& policy);

SagaDecision decide(const Saga& saga, const SagaEvent& event, TimePoint now,
                    const SagaPolicy& policy);
// The current step's deadline passed.
SagaDecision on_timeout(const Saga& saga, TimePoint now, const SagaPolicy& policy);

// What an operator asks of a saga (POST /sagas/{id}/retry | compensate).
enum class OperatorAction { retry, compensate };

// The reason a saga compensated on an operator's word carries to ReleaseStock and CancelOrder.
inline constexpr const char* kOperatorCompensated = "operator_compensated";

// Either a decision to record, or why the action does not apply (a 409 for the operator).
struct OperatorOutcome {
  std::optional<SagaDecision> decision;
  std::string refusal_code;  // saga_finished, already_compensating, confirm_pending
  std::string refusal_message;
};

// retry: the current step's command again, same state, a fresh deadline, attempts + 1; for any
// running saga (every receiver keeps one outcome per order, so a repeat changes nothing there).
// compensate: reserving -> releasing, authorizing -> voiding, reason "operator_compensated",
// then the usual path to compensated with the order cancelled. Refused once the saga ended, when
// it already compensates (retry its step instead), and in confirming: ConfirmOrder was sent and
// may still apply, after which the order can no longer be cancelled.
OperatorOutcome on_operator(const Saga& saga, OperatorAction action, TimePoint now,
                            const SagaPolicy& policy);

// The command a state sends (nullopt for terminal states).
std::optional<SagaCommand> command_for(SagaState state, const Saga& saga);
// Bounded label for a compensation reason: the part before ':'.
std::string reason_class(const std::string& reason);

}  // namespace orchestration
