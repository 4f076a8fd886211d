#include "app/order_event_handlers.hpp"

#include "commerce/bus/topics.hpp"

namespace notification {

OrderEventHandlers::OrderEventHandlers(NotificationRepository& notifications, EmailChannel& email)
    : notifications_(notifications), email_(email) {}

void OrderEventHandlers::on_order_events(std::span<commerce::store::MessageContext> batch) {
  if (batch.empty()) return;
  auto& tx = batch.front().tx();
  std::vector<std::optional<Email>> emails;
  std::vector<Notice> notices;
  for (const auto& ctx : batch) {
    const auto& message = ctx.message();
    emails.push_back(email_for(message.type, message.merchant_id, message.payload));
    if (const auto& e = emails.back()) {
      notices.push_back({e->merchant_id, e->order_id, e->kind, kEmailChannel, e->recipient});
    }
  }
  // The unique row decides "once": a second delivery (even under another message id, or twice
  // in this batch) finds it.
  auto recorded = notifications_.record(tx, notices);
  std::vector<Email> to_send;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& email = emails[i];
    if (!email || !recorded.erase({email->merchant_id, email->order_id, email->kind})) continue;
    batch[i].emit(commerce::bus::topics::events("notification"), email->order_id, kNotificationSent,
                  notification_sent(email->order_id, email->kind, kEmailChannel, email->recipient));
    to_send.push_back(*email);
  }
  email_.send(tx, to_send);
}

}  // namespace notification
