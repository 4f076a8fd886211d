#pragma once
// order.OrderConfirmed / order.OrderCancelled -> one e-mail and one NotificationSent per order
// and kind, however often the event is delivered.
#include "app/email_channel.hpp"
#include "app/notification_repository.hpp"
#include "commerce/store/store.hpp"

namespace notification {

class OrderEventHandlers {
 public:
  OrderEventHandlers(NotificationRepository& notifications, EmailChannel& email);
  // The order events of one consumed batch: one statement records the notices, one sends.
  void on_order_events(std::span<commerce::store::MessageContext> batch);

 private:
  NotificationRepository& notifications_;
  EmailChannel& email_;
};

}  // namespace notification
