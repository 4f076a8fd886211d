#include "domain/timeline.hpp"

#include <gtest/gtest.h>

namespace order {
namespace {

TEST(Timeline, InventoryAndPaymentEventsBecomeEntries) {
  const std::pair<const char*, const char*> cases[] = {
      {"inventory.StockReserved", "stock_reserved"},
      {"inventory.StockReservationFailed", "stock_reservation_failed"},
      {"inventory.StockReleased", "stock_released"},
      {"payment.PaymentAuthorized", "payment_authorized"},
      {"payment.PaymentDeclined", "payment_declined"},
      {"payment.PaymentVoided", "payment_voided"},
  };
  for (const auto& [type, event] : cases) {
    auto entry = timeline_entry_for(type, {{"order_id", "o-1"}, {"reason", "r"}});
    ASSERT_TRUE(entry) << type;
    EXPECT_EQ(entry->event, event);
    EXPECT_FALSE(entry->detail.contains("order_id")) << "the order id is implied";
    EXPECT_EQ(entry->detail.at("reason"), "r");
  }
}

TEST(Timeline, OtherMessagesAreNotPartOfTheStory) {
  EXPECT_FALSE(timeline_entry_for("inventory.StockLevelChanged", {{"sku", "X"}}));
  EXPECT_FALSE(timeline_entry_for("payment.AuthorizePayment", {{"order_id", "o"}}));
}

}  // namespace
}  // namespace order
