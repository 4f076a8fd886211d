#include "app/order_metrics.hpp"

#include <gtest/gtest.h>

#include "commerce/metrics/registry.hpp"

using order::cancel_reason_label;
using order::currency_label;
using order::OrderMetrics;

TEST(CancelReasonLabel, IsTheReasonClassFromAFixedSet) {
  EXPECT_EQ(cancel_reason_label("out_of_stock"), "out_of_stock");
  EXPECT_EQ(cancel_reason_label("payment_declined:card_declined"), "payment_declined");
  EXPECT_EQ(cancel_reason_label("timeout:reserve_stock"), "timeout");
  EXPECT_EQ(cancel_reason_label("because I said so"), "other");
  EXPECT_EQ(cancel_reason_label(""), "other");
}

TEST(CurrencyLabel, OnlyIsoCodes) {
  EXPECT_EQ(currency_label("EUR"), "EUR");
  EXPECT_EQ(currency_label("eur"), "other");
  EXPECT_EQ(currency_label("EURO"), "other");
}

TEST(OrderMetrics, CountsOrdersAndRevenueInMinorUnits) {
  commerce::metrics::Registry r;
  OrderMetrics m(r);
  auto text = r.render();
  EXPECT_NE(text.find("orders_cancelled_total{reason=\"timeout\"} 0\n"), std::string::npos)
      << "every reason exists at 0: " << text;
  m.placed();
  m.placed();
  m.confirmed({1999, "EUR"});
  m.confirmed({500, "EUR"});
  m.confirmed({700, "USD"});
  m.cancelled("payment_declined:insufficient_funds");
  text = r.render();
  EXPECT_NE(text.find("orders_placed_total 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("orders_confirmed_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("order_revenue_minor_units_total{currency=\"EUR\"} 2499\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("order_revenue_minor_units_total{currency=\"USD\"} 700\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("orders_cancelled_total{reason=\"payment_declined\"} 1\n"), std::string::npos)
      << text;
}
