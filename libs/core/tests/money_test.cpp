#include "commerce/core/money.hpp"

#include <gtest/gtest.h>

#include <limits>

using namespace commerce::core;

TEST(Money, CurrencyCodes) {
  EXPECT_TRUE(is_currency_code("EUR"));
  EXPECT_TRUE(is_currency_code("USD"));
  EXPECT_FALSE(is_currency_code("eur"));
  EXPECT_FALSE(is_currency_code("EU"));
  EXPECT_FALSE(is_currency_code("EURO"));
  EXPECT_FALSE(is_currency_code("E1R"));
  EXPECT_FALSE(is_currency_code(""));
}

TEST(Money, AddSameCurrency) {
  EXPECT_EQ(add({1050, "EUR"}, {250, "EUR"}), (Money{1300, "EUR"}));
  EXPECT_EQ(add({-100, "EUR"}, {40, "EUR"}), (Money{-60, "EUR"}));
}

TEST(Money, AddRejectsMismatchAndOverflow) {
  EXPECT_FALSE(add({1, "EUR"}, {1, "USD"}).has_value());
  const auto max = std::numeric_limits<std::int64_t>::max();
  EXPECT_FALSE(add({max, "EUR"}, {1, "EUR"}).has_value());
  EXPECT_EQ(add({max - 1, "EUR"}, {1, "EUR"}), (Money{max, "EUR"}));
}

TEST(Money, Multiply) {
  EXPECT_EQ(multiply({1999, "EUR"}, 3), (Money{5997, "EUR"}));
  EXPECT_EQ(multiply({1999, "EUR"}, 0), (Money{0, "EUR"}));
  EXPECT_FALSE(multiply({std::numeric_limits<std::int64_t>::max() / 2 + 1, "EUR"}, 2).has_value());
}
