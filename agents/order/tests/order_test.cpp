#include "domain/order.hpp"

#include <gtest/gtest.h>

namespace order {
namespace {

TEST(OrderDecide, ConfirmingAPendingOrderConfirmsIt) {
  auto d = decide(OrderStatus::pending, ConfirmOrder{});
  EXPECT_EQ(d.outcome, Outcome::apply);
  EXPECT_EQ(d.status, OrderStatus::confirmed);
  EXPECT_EQ(d.timeline_event, "confirmed");
}

TEST(OrderDecide, CancellingAPendingOrderCancelsIt) {
  auto d = decide(OrderStatus::pending, CancelOrder{"out_of_stock"});
  EXPECT_EQ(d.outcome, Outcome::apply);
  EXPECT_EQ(d.status, OrderStatus::cancelled);
  EXPECT_EQ(d.timeline_event, "cancelled");
}

TEST(OrderDecide, RepeatsAreIdempotent) {
  auto confirm = decide(OrderStatus::confirmed, ConfirmOrder{});
  EXPECT_EQ(confirm.outcome, Outcome::already_done);
  EXPECT_EQ(confirm.status, OrderStatus::confirmed);
  auto cancel = decide(OrderStatus::cancelled, CancelOrder{"x"});
  EXPECT_EQ(cancel.outcome, Outcome::already_done);
  EXPECT_EQ(cancel.status, OrderStatus::cancelled);
}

TEST(OrderDecide, CrossingTransitionsAreImpossibleAndChangeNothing) {
  auto confirm = decide(OrderStatus::cancelled, ConfirmOrder{});
  EXPECT_EQ(confirm.outcome, Outcome::impossible);
  EXPECT_EQ(confirm.status, OrderStatus::cancelled);
  EXPECT_TRUE(confirm.timeline_event.empty());
  auto cancel = decide(OrderStatus::confirmed, CancelOrder{"late"});
  EXPECT_EQ(cancel.outcome, Outcome::impossible);
  EXPECT_EQ(cancel.status, OrderStatus::confirmed);
}

TEST(OrderStatusText, RoundTrips) {
  for (auto s : {OrderStatus::pending, OrderStatus::confirmed, OrderStatus::cancelled}) {
    EXPECT_EQ(parse_status(to_string(s)), s);
  }
  EXPECT_FALSE(parse_status("shipped"));
  EXPECT_FALSE(parse_status(""));
}

}  // namespace
}  // namespace order
