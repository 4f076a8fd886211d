#include "app/order_event_handlers.hpp"

#include "commerce/bus/topics.hpp"

namespace notification {

OrderEventHandlers::OrderEventHandlers(NotificationRepository& notifications, EmailChannel& email)
    : notifications_(notifications), email_(email) {}

void OrderEventHandlers::on_order_event(commerce::store::MessageContext& ctx) {
  const auto& message = ctx.message();
  const auto email = email_for(message.type, message.merchant_id, message.payload);
  if (!email) return;
  // The unique row decides "once": a second delivery (even under another message id) finds it.
  if (!notifications_.record(ctx.tx(), email->merchant_id, email->order_id, email->kind,
                             kEmailChannel, email->recipient)) {
    return;
  }
  email_.send(ctx.tx(), *email);
  ctx.emit(commerce::bus::topics::events("notification"), email->order_id, kNotificationSent,
           notification_sent(email->order_id, email->kind, kEmailChannel, email->recipient));
}

}  // namespace notification
