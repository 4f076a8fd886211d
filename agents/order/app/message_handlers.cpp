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
  if (decision.status == OrderStatus::confirmed) {
    orders.mark_confirmed(ctx.tx(), order_id);
    orders.add_timeline(ctx.tx(), order_id, message.merchant_id, decision.timeline_event,
                        nlohmann::json::object());
    ctx.emit(topic, order_id, "order.OrderConfirmed",
             order_confirmed_payload(order_id, order->customer_email, order->total));
    metrics.confirmed(order->total);
  } else {
    const auto& reason = std::get<CancelOrder>(command).reason;
    orders.mark_cancelled(ctx.tx(), order_id, reason);
    orders.add_timeline(ctx.tx(), order_id, message.merchant_id, decision.timeline_event,
                        {{"reason", reason}});
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

void TimelineFeed::on_event(commerce::store::MessageContext& ctx) {
  const auto& message = ctx.message();
  auto entry = timeline_entry_for(message.type, message.payload);
  if (!entry) return;
  const auto order_id = message.payload.at("order_id").get<std::string>();
  // Only orders we hold; another agent's event about an order we never placed changes nothing.
  if (!orders_.add_timeline_if_held(ctx.tx(), order_id, message.merchant_id, entry->event,
                                    entry->detail, message.occurred_at)) {
    commerce::log::warn("event for an unknown order",
                        {{"order_id", order_id}, {"type", message.type}});
  }
}

}  // namespace order
