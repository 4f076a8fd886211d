#include "app/message_handlers.hpp"

#include <stdexcept>

#include "commerce/bus/topics.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"
#include "domain/order.hpp"
#include "domain/order_events.hpp"
#include "domain/timeline.hpp"

namespace order {

namespace {

// Applies a command through the domain's state machine. An unknown order is impossible input
// (orders exist before any saga asks about them), so it goes to the dead-letter topic.
void apply(commerce::store::MessageContext& ctx, OrderRepository& orders, OrderMetrics& metrics,
           const OrderCommand& command) {
  const auto& message = ctx.message();
  const auto order_id = message.payload.at("order_id").get<std::string>();
  auto order = orders.lock(ctx.tx(), message.merchant_id, order_id);
  if (!order) {
    throw std::invalid_argument("no order " + order_id + " for merchant " + message.merchant_id);
  }
  const auto decision = decide(order->status, command);
  switch (decision.outcome) {
    case Outcome::already_done:
      commerce::log::info(decision.note, {{"order_id", order_id}});
      return;
    case Outcome::impossible:
      commerce::log::warn(decision.note, {{"order_id", order_id},
                                          {"status", to_string(order->status)},
                                          {"command", message.type}});
      return;
    case Outcome::apply:
      break;
  }
  const auto topic = commerce::bus::topics::events("order");
  // The saga's history (what inventory and payment answered) goes in first, then this outcome.
  const auto history = message.payload.value("history", nlohmann::json::array());
  if (decision.status == OrderStatus::confirmed) {
    const auto timeline =
        timeline_for(history, {decision.timeline_event, "", nlohmann::json::object()});
    orders.settle(ctx.tx(), order_id, message.merchant_id, decision.status, "", to_json(timeline));
    ctx.emit(topic, order_id, "order.OrderConfirmed",
             order_confirmed_payload(order_id, order->customer_email, order->total));
    metrics.confirmed(order->total);
  } else {
    const auto& reason = std::get<CancelOrder>(command).reason;
    const auto timeline =
        timeline_for(history, {decision.timeline_event, "", {{"reason", reason}}});
    orders.settle(ctx.tx(), order_id, message.merchant_id, decision.status, reason,
                  to_json(timeline));
    ctx.emit(topic, order_id, "order.OrderCancelled",
             order_cancelled_payload(order_id, order->customer_email, reason));
    metrics.cancelled(reason);
  }
  commerce::log::info(decision.note, {{"order_id", order_id}});
}

}  // namespace

void CommandHandlers::confirm(commerce::store::MessageContext& ctx) {
  apply(ctx, orders_, metrics_, ConfirmOrder{});
}

void CommandHandlers::cancel(commerce::store::MessageContext& ctx) {
  apply(ctx, orders_, metrics_, CancelOrder{ctx.message().payload.at("reason").get<std::string>()});
}

void CatalogueFeed::on_product(commerce::store::MessageContext& ctx) {
  const auto& message = ctx.message();
  auto entry = catalogue_entry_from_json(message.payload);
  if (!entry) throw std::invalid_argument("unreadable product in " + message.type);
  prices_.apply_product_event(ctx.tx(), message.merchant_id, *entry, message.occurred_at);
}

}  // namespace order
