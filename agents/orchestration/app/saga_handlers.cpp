#include "app/saga_handlers.hpp"

#include <set>

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

struct SagaHandlers::Working {
  std::map<std::string, SagaRow> sagas;  // by order id: locked rows, then the ones started here
  std::set<std::string> created;         // order ids whose saga this batch starts
  std::set<std::string> changed;         // order ids whose saga this batch moves
  std::vector<SagaStep> steps;
};

void SagaHandlers::on_batch(std::span<commerce::store::MessageContext> messages) {
  if (messages.empty()) return;
  auto& tx = messages.front().tx();
  const auto now = clock_();
  std::vector<std::string> order_ids;
  for (const auto& ctx : messages) {
    const auto& payload = ctx.message().payload;
    if (auto id = payload.find("order_id"); id != payload.end() && id->is_string()) {
      order_ids.push_back(id->get<std::string>());
    }
  }
  Working working;
  working.sagas = sagas_.lock_by_orders(tx, kPlaceOrderSaga, order_ids);
  for (auto& ctx : messages) {
    commerce::log::ScopedContext scoped(ctx.log_context());
    if (ctx.message().type == kOrderPlaced) {
      start(ctx, working, now);
    } else {
      answer(ctx, working, now);
    }
  }
  SagaChanges changes;
  for (const auto& order_id : working.created)
    changes.created.push_back(working.sagas.at(order_id));
  for (const auto& order_id : working.changed) {
    if (!working.created.count(order_id)) changes.changed.push_back(working.sagas.at(order_id));
  }
  changes.steps = std::move(working.steps);
  sagas_.write(tx, changes, now);
}

void SagaHandlers::start(commerce::store::MessageContext& ctx, Working& working, TimePoint now) {
  const auto& message = ctx.message();
  auto start = start_place_order(commerce::core::uuid_v7(), message.merchant_id, message.payload,
                                 now, policy_);
  if (auto existing = working.sagas.find(start.saga.order_id); existing != working.sagas.end()) {
    // Another OrderPlaced for the same order: the saga already runs; note it there.
    const auto& saga = existing->second.saga;
    working.steps.push_back({saga.id, saga.merchant_id, saga.state, saga.state, message.id,
                             "ignored order.OrderPlaced: the saga already runs"});
    return;
  }
  SagaRow row;
  row.saga = start.saga;
  row.type = kPlaceOrderSaga;
  row.correlation_id = message.correlation_id;
  row.traceparent = message.traceparent;
  row.started_at = now;
  working.steps.push_back(
      {row.saga.id, row.saga.merchant_id, std::nullopt, row.saga.state, message.id, start.note});
  working.created.insert(row.saga.order_id);
  working.sagas.emplace(row.saga.order_id, std::move(row));
  ctx.emit(command_topic(start.command.type), start.saga.order_id, start.command.type,
           start.command.payload);
  metrics_.started(kPlaceOrderSaga);
  commerce::log::info("saga started",
                      {{"saga_id", start.saga.id}, {"order_id", start.saga.order_id}});
}

void SagaHandlers::answer(commerce::store::MessageContext& ctx, Working& working, TimePoint now) {
  const auto& message = ctx.message();
  auto event = saga_event_from(message.type, message.payload, message.occurred_at);
  if (!event) return;
  const auto order_id = message.payload.at("order_id").get<std::string>();
  auto found = working.sagas.find(order_id);
  if (found == working.sagas.end()) {
    commerce::log::warn("reply for an order without a saga",
                        {{"order_id", order_id}, {"type", message.type}});
    return;
  }
  auto& row = found->second;
  if (row.saga.merchant_id != message.merchant_id) {
    commerce::log::warn("reply from another merchant ignored",
                        {{"order_id", order_id}, {"merchant_id", message.merchant_id}});
    return;
  }
  const auto decision = decide(row.saga, *event, now, policy_);
  working.steps.push_back(
      {row.saga.id, row.saga.merchant_id, decision.from, decision.to, message.id, decision.note});
  if (!decision.ignored) {
    row.saga.state = decision.to;
    row.saga.deadline = decision.deadline;
    row.saga.data = decision.data;
    working.changed.insert(order_id);
  }
  for (const auto& command : decision.commands) {
    ctx.emit(command_topic(command.type), order_id, command.type, command.payload);
  }
  metrics_.observe(row.type, decision, row.started_at, now);
  if (decision.ignored) {
    commerce::log::info(decision.note, {{"saga_id", row.saga.id}, {"order_id", order_id}});
  } else {
    commerce::log::info("saga moved", {{"saga_id", row.saga.id},
                                       {"order_id", order_id},
                                       {"from", to_string(decision.from)},
                                       {"to", to_string(decision.to)},
                                       {"note", decision.note}});
  }
}

}  // namespace orchestration
