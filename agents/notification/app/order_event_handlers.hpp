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
  void on_order_event(commerce::store::MessageContext& ctx);

 private:
  NotificationRepository& notifications_;
  EmailChannel& email_;
};

}  // namespace notification
