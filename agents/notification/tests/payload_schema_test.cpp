// Every payload the notification agent produces matches its schema, and the order events it
// accepts (as the order agent's schemas define them) render into e-mails.
#include <gtest/gtest.h>

#include "commerce/bus/schema.hpp"
#include "domain/notification.hpp"

namespace notification {
namespace {

const commerce::bus::SchemaRegistry& schemas() {
  static const auto registry = commerce::bus::SchemaRegistry::load(COMMERCE_SOURCE_DIR "/schemas");
  return registry;
}

TEST(NotificationPayloads, NotificationSentMatchesItsSchema) {
  for (const char* kind : {kOrderConfirmed, kOrderCancelled}) {
    EXPECT_EQ(schemas().validate(kNotificationSent, 1,
                                 notification_sent("0190a0f0-0000-7000-8000-000000000001", kind,
                                                   kEmailChannel, "ann@example.com")),
              std::nullopt)
        << kind;
  }
  EXPECT_NE(schemas().validate(kNotificationSent, 1,
                               notification_sent("o1", "order_shipped", kEmailChannel, "a@b.c")),
            std::nullopt);
}

TEST(NotificationPayloads, AcceptedOrderEventsRender) {
  const nlohmann::json confirmed = {{"order_id", "0190a0f0-0000-7000-8000-000000000001"},
                                    {"customer_email", "ann@example.com"},
                                    {"total", {{"amount_minor", 2500}, {"currency", "EUR"}}}};
  const nlohmann::json cancelled = {{"order_id", "0190a0f0-0000-7000-8000-000000000002"},
                                    {"customer_email", "ann@example.com"},
                                    {"reason", "out_of_stock"}};
  ASSERT_TRUE(schemas().knows("order.OrderConfirmed", 1));
  ASSERT_TRUE(schemas().knows("order.OrderCancelled", 1));
  EXPECT_EQ(schemas().validate("order.OrderConfirmed", 1, confirmed), std::nullopt);
  EXPECT_EQ(schemas().validate("order.OrderCancelled", 1, cancelled), std::nullopt);
  EXPECT_TRUE(email_for("order.OrderConfirmed", "m1", confirmed));
  EXPECT_TRUE(email_for("order.OrderCancelled", "m1", cancelled));
}

}  // namespace
}  // namespace notification
