#include "domain/pricing.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace order {
namespace {

Catalogue catalogue() {
  Catalogue c;
  c["MUG"] = {"MUG", "p1", "Mug", {1250, "EUR"}, true};
  c["TEE"] = {"TEE", "p2", "T-shirt", {1999, "EUR"}, true};
  c["OLD"] = {"OLD", "p3", "Old thing", {500, "EUR"}, false};
  c["USD"] = {"USD", "p4", "Dollar thing", {700, "USD"}, true};
  c["BIG"] = {"BIG", "p5", "Huge", {std::numeric_limits<std::int64_t>::max() / 2, "EUR"}, true};
  return c;
}

TEST(Pricing, PricesLinesFromTheCatalogue) {
  auto result = price({{"MUG", 2}, {"TEE", 1}}, catalogue());
  ASSERT_TRUE(std::holds_alternative<PricedOrder>(result));
  const auto& o = std::get<PricedOrder>(result);
  ASSERT_EQ(o.lines.size(), 2u);
  EXPECT_EQ(o.lines[0].title, "Mug");
  EXPECT_EQ(o.lines[0].unit_price, (Money{1250, "EUR"}));
  EXPECT_EQ(o.lines[0].line_total, (Money{2500, "EUR"}));
  EXPECT_EQ(o.lines[1].line_total, (Money{1999, "EUR"}));
  EXPECT_EQ(o.total, (Money{4499, "EUR"}));
}

TEST(Pricing, UnknownSkuIsNamed) {
  auto result = price({{"MUG", 1}, {"NOPE", 1}}, catalogue());
  ASSERT_TRUE(std::holds_alternative<PricingError>(result));
  const auto& e = std::get<PricingError>(result);
  EXPECT_EQ(e.code, "unknown_sku");
  EXPECT_EQ(e.field, "lines[1].sku");
  EXPECT_NE(e.message.find("NOPE"), std::string::npos);
}

TEST(Pricing, InactiveProductIsRejected) {
  auto result = price({{"OLD", 1}}, catalogue());
  ASSERT_TRUE(std::holds_alternative<PricingError>(result));
  EXPECT_EQ(std::get<PricingError>(result).code, "product_inactive");
}

TEST(Pricing, MixedCurrenciesAreRejected) {
  auto result = price({{"MUG", 1}, {"USD", 1}}, catalogue());
  ASSERT_TRUE(std::holds_alternative<PricingError>(result));
  EXPECT_EQ(std::get<PricingError>(result).code, "currency_mismatch");
  EXPECT_EQ(std::get<PricingError>(result).field, "lines[1].sku");
}

TEST(Pricing, LineOverflowIsRejected) {
  auto result = price({{"BIG", 3}}, catalogue());
  ASSERT_TRUE(std::holds_alternative<PricingError>(result));
  EXPECT_EQ(std::get<PricingError>(result).code, "amount_overflow");
  EXPECT_EQ(std::get<PricingError>(result).field, "lines[0].quantity");
}

TEST(Pricing, TotalOverflowIsRejected) {
  auto c = catalogue();
  c["BIG2"] = {
      "BIG2", "p6", "Huge too", {std::numeric_limits<std::int64_t>::max() / 2, "EUR"}, true};
  auto result = price({{"BIG", 1}, {"BIG2", 1}, {"MUG", 1}}, c);
  ASSERT_TRUE(std::holds_alternative<PricingError>(result));
  EXPECT_EQ(std::get<PricingError>(result).code, "amount_overflow");
  EXPECT_EQ(std::get<PricingError>(result).field, "lines");
}

TEST(Pricing, CheckedArithmetic) {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(checked_add(1, 2), 3);
  EXPECT_FALSE(checked_add(max, 1));
  EXPECT_EQ(checked_multiply(3, 4), 12);
  EXPECT_FALSE(checked_multiply(max / 2 + 1, 2));
}

}  // namespace
}  // namespace order
