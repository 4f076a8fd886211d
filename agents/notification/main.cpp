// Composition root of the notification agent: tells customers about their orders, once.
#include "app/email_channel.hpp"
#include "app/http_routes.hpp"
#include "app/notification_repository.hpp"
#include "app/order_event_handlers.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/runtime/agent.hpp"

int main() {
  return commerce::runtime::guarded_main("notification", [] {
    commerce::runtime::Agent agent("notification", commerce::config::Config::load());
    notification::NotificationRepository notifications;
    notification::OutboxEmailChannel email;
    notification::OrderEventHandlers handlers(notifications, email);
    agent.dispatcher().on_batch(
        {"order.OrderConfirmed", "order.OrderCancelled"},
        [&](std::span<commerce::store::MessageContext> batch) { handlers.on_order_events(batch); });
    agent.subscribe({commerce::bus::topics::events("order")});
    notification::HttpRoutes routes(agent.db(), notifications);
    routes.register_on(agent.api());
    return agent.run();
  });
}
