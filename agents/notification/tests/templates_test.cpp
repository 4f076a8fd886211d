#include "domain/templates.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "domain/notification.hpp"

namespace notification {
namespace {

TEST(FormatMoney, UsesTheCurrencysMinorUnits) {
  EXPECT_EQ(format_money({1234, "EUR"}), "EUR 12.34");
  EXPECT_EQ(format_money({5, "EUR"}), "EUR 0.05");
  EXPECT_EQ(format_money({0, "USD"}), "USD 0.00");
  EXPECT_EQ(format_money({123456789, "EUR"}), "EUR 1,234,567.89");
  EXPECT_EQ(format_money({1500, "JPY"}), "JPY 1,500");
  EXPECT_EQ(format_money({1234, "KWD"}), "KWD 1.234");
  EXPECT_EQ(format_money({-250, "EUR"}), "EUR -2.50");
  EXPECT_EQ(format_money({std::numeric_limits<std::int64_t>::min(), "EUR"}),
            "EUR -92,233,720,368,547,758.08");
}

TEST(CancelReason, KnownCodesReadAsWordsAndUnknownOnesStayReadable) {
  EXPECT_EQ(describe_cancel_reason("out_of_stock"), "some items in your order are out of stock");
  EXPECT_EQ(describe_cancel_reason("card_declined"), "your card was declined");
  EXPECT_EQ(describe_cancel_reason("insufficient_funds"), "your card has insufficient funds");
  EXPECT_EQ(describe_cancel_reason("payment_declined:card_declined"), "your card was declined");
  EXPECT_EQ(describe_cancel_reason("payment_declined:provider_said_no"),
            "your payment was declined");
  EXPECT_EQ(describe_cancel_reason("timeout:reserve_stock"),
            "we could not complete your order in time");
  EXPECT_EQ(describe_cancel_reason("something_new"), "something new");
  EXPECT_FALSE(describe_cancel_reason("").empty());
}

TEST(Templates, ConfirmedNamesOrderAndTotal) {
  const auto m = render_order_confirmed("ord-1", {4999, "EUR"});
  EXPECT_NE(m.subject.find("ord-1"), std::string::npos);
  EXPECT_NE(m.subject.find("confirmed"), std::string::npos);
  EXPECT_NE(m.body.find("EUR 49.99"), std::string::npos);
}

TEST(Templates, CancelledNamesOrderAndReasonInWords) {
  const auto m = render_order_cancelled("ord-2", "out_of_stock");
  EXPECT_NE(m.subject.find("ord-2"), std::string::npos);
  EXPECT_NE(m.subject.find("cancelled"), std::string::npos);
  EXPECT_NE(m.body.find("out of stock"), std::string::npos);
  EXPECT_EQ(m.body.find("out_of_stock"), std::string::npos);
}

TEST(EmailFor, ConfirmedAndCancelledEventsBecomeEmails) {
  const auto confirmed = email_for("order.OrderConfirmed", "m1",
                                   {{"order_id", "o1"},
                                    {"customer_email", "ann@example.com"},
                                    {"total", {{"amount_minor", 1000}, {"currency", "EUR"}}}});
  ASSERT_TRUE(confirmed);
  EXPECT_EQ(confirmed->kind, "order_confirmed");
  EXPECT_EQ(confirmed->merchant_id, "m1");
  EXPECT_EQ(confirmed->order_id, "o1");
  EXPECT_EQ(confirmed->recipient, "ann@example.com");
  EXPECT_NE(confirmed->body.find("EUR 10.00"), std::string::npos);

  const auto cancelled = email_for(
      "order.OrderCancelled", "m1",
      {{"order_id", "o2"}, {"customer_email", "bob@example.com"}, {"reason", "card_declined"}});
  ASSERT_TRUE(cancelled);
  EXPECT_EQ(cancelled->kind, "order_cancelled");
  EXPECT_NE(cancelled->body.find("card was declined"), std::string::npos);

  EXPECT_FALSE(email_for("order.OrderPlaced", "m1", {{"order_id", "o3"}}));
}

TEST(EmailFor, MissingFieldsAreRejectedNotGuessed) {
  EXPECT_THROW(email_for("order.OrderConfirmed", "m1", {{"order_id", "o1"}}),
               std::invalid_argument);
  EXPECT_THROW(email_for("order.OrderConfirmed", "m1",
                         {{"order_id", "o1"}, {"customer_email", "a@b.c"}, {"total", 10}}),
               std::invalid_argument);
}

}  // namespace
}  // namespace notification
