#include "app/saga_handlers.hpp"

#include "commerce/bus/topics.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"

namespace orchestration {

std::string command_topic(const std::string& type) {
  return commerce::bus::topics::commands(type.substr(0, type.find('.')));
}

SagaHandlers::SagaHandlers(SagaRepository& sagas, SagaMetrics& metrics, SagaPolicy policy,
                           std::function<TimePoint()> clock)
    : sagas_(sagas), metrics_(metrics), policy_(policy), clock_(std::move(clock)) {}

void SagaHandlers::on_order_placed(commerce::store::MessageContext& ctx) {
  const auto& message = ctx.message();
  const auto now = clock_();
  auto start = start_place_order(commerce::core::uuid_v7(), message.merchant_id, message.payload,
                                 now, policy_);
  if (!sagas_.insert(ctx.tx(), start.saga, kPlaceOrderSaga, message.correlation_id,
                     message.traceparent, now, message.id, start.note)) {
    // Another OrderPlaced for the same order: the saga already runs; note it there.
    if (auto existing = sagas_.lock_by_order(ctx.tx(), kPlaceOrderSaga, start.saga.order_id)) {
      sagas_.add_step(ctx.tx(), *existing, existing->saga.state, existing->saga.state, message.id,
                      "ignored order.OrderPlaced: the saga already runs");
    }
    return;
  }
  ctx.emit(command_topic(start.command.type), start.saga.order_id, start.command.type,
           start.command.payload);
  metrics_.started(kPlaceOrderSaga);
  commerce::log::info("saga started",
                      {{"saga_id", start.saga.id}, {"order_id", start.saga.order_id}});
}

void SagaHandlers::on_reply(commerce::store::MessageContext& ctx) {
  const auto& message = ctx.message();
  auto event = saga_event_from(message.type, message.payload, message.occurred_at);
  if (!event) return;
  const auto order_id = message.payload.at("order_id").get<std::string>();
  auto row = sagas_.lock_by_order(ctx.tx(), kPlaceOrderSaga, order_id);
  if (!row) {
    commerce::log::warn("reply for an order without a saga",
                        {{"order_id", order_id}, {"type", message.type}});
    return;
  }
  if (row->saga.merchant_id != message.merchant_id) {
    commerce::log::warn("reply from another merchant ignored",
                        {{"order_id", order_id}, {"merchant_id", message.merchant_id}});
    return;
  }
  const auto now = clock_();
  const auto decision = decide(row->saga, *event, now, policy_);
  sagas_.record(ctx.tx(), *row, decision, message.id, now);
  for (const auto& command : decision.commands) {
    ctx.emit(command_topic(command.type), order_id, command.type, command.payload);
  }
  metrics_.observe(row->type, decision, row->started_at, now);
  if (decision.ignored) {
    commerce::log::info(decision.note, {{"saga_id", row->saga.id}, {"order_id", order_id}});
  } else {
    commerce::log::info("saga moved", {{"saga_id", row->saga.id},
                                       {"order_id", order_id},
                                       {"from", to_string(decision.from)},
                                       {"to", to_string(decision.to)},
                                       {"note", decision.note}});
  }
}

}  // namespace orchestration
