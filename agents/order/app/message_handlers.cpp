#include "app/message_handlers.hpp"

#include <stdexcept>

#include "commerce/bus/topics.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"
#include "domain/order.hpp"
#include "domain/order_events.hpp"
#include "domain/timeline.hpp"

namespace order {

void CommandHandlers::on_batch(std::span<commerce::store::MessageContext> messages) {
  if (messages.empty()) return;
  auto& tx = messages.front().tx();
  std::vector<std::string> ids;
  for (const auto& ctx : messages) ids.push_back(ctx.message().payload.at("order_id"));
  auto orders = orders_.lock(tx, ids);
  std::vector<OrderRepository::Settlement> settlements;
  const auto topic = commerce::bus::topics::events("order");
  for (auto& ctx : messages) {
    commerce::log::ScopedContext scoped(ctx.log_context());
    const auto& message = ctx.message();
    const auto order_id = message.payload.at("order_id").get<std::string>();
    // An unknown order is impossible input (orders exist before any saga asks about them): the
    // batch fails, is replayed one message at a time, and this one goes to the dead-letter topic.
    auto found = orders.find(order_id);
    if (found == orders.end() || found->second.merchant_id != message.merchant_id) {
      throw std::invalid_argument("no order " + order_id + " for merchant " + message.merchant_id);
    }
    auto& order = found->second;
    const OrderCommand command =
        message.type == "order.ConfirmOrder"
            ? OrderCommand{ConfirmOrder{}}
            : OrderCommand{CancelOrder{message.payload.at("reason").get<std::string>()}};
    const auto decision = decide(order.status, command);
    switch (decision.outcome) {
      case Outcome::already_done:
        commerce::log::info(decision.note, {{"order_id", order_id}});
        continue;
      case Outcome::impossible:
        commerce::log::warn(decision.note, {{"order_id", order_id},
                                            {"status", to_string(order.status)},
                                            {"command", message.type}});
        continue;
      case Outcome::apply:
        break;
    }
    // The saga's history (what inventory and payment answered) goes in first, then this outcome.
    const auto history = message.payload.value("history", nlohmann::json::array());
    order.status = decision.status;  // a later command in this batch sees the new status
    if (decision.status == OrderStatus::confirmed) {
      const auto timeline =
          timeline_for(history, {decision.timeline_event, "", nlohmann::json::object()});
      settlements.push_back({order_id, decision.status, "", timeline});
      ctx.emit(topic, order_id, "order.OrderConfirmed",
               order_confirmed_payload(order_id, order.customer_email, order.total));
      metrics_.confirmed(order.total);
    } else {
      const auto& reason = std::get<CancelOrder>(command).reason;
      const auto timeline =
          timeline_for(history, {decision.timeline_event, "", {{"reason", reason}}});
      settlements.push_back({order_id, decision.status, reason, timeline});
      ctx.emit(topic, order_id, "order.OrderCancelled",
               order_cancelled_payload(order_id, order.customer_email, reason));
      metrics_.cancelled(reason);
    }
    commerce::log::info(decision.note, {{"order_id", order_id}});
  }
  orders_.settle(tx, settlements);
}

void CatalogueFeed::on_product(commerce::store::MessageContext& ctx) {
  const auto& message = ctx.message();
  auto entry = catalogue_entry_from_json(message.payload);
  if (!entry) throw std::invalid_argument("unreadable product in " + message.type);
  prices_.apply_product_event(ctx.tx(), message.merchant_id, *entry, message.occurred_at);
}

}  // namespace order
