#include "domain/product.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace product {
namespace {

using nlohmann::json;

json valid() {
  return {{"sku", "TSHIRT-M.blue_1"},
          {"title", "T-shirt"},
          {"price", {{"amount_minor", 1999}, {"currency", "EUR"}}}};
}

std::string field_of(const std::variant<NewProduct, FieldError>& r) {
  auto* e = std::get_if<FieldError>(&r);
  return e ? e->field : "";
}

TEST(NewProductRules, AcceptsAValidProductActiveByDefault) {
  auto r = parse_new_product(valid());
  ASSERT_TRUE(std::holds_alternative<NewProduct>(r));
  const auto& p = std::get<NewProduct>(r);
  EXPECT_EQ(p.sku, "TSHIRT-M.blue_1");
  EXPECT_EQ(p.price, (commerce::core::Money{1999, "EUR"}));
  EXPECT_TRUE(p.active);
  auto inactive = valid();
  inactive["active"] = false;
  EXPECT_FALSE(std::get<NewProduct>(parse_new_product(inactive)).active);
}

TEST(NewProductRules, NamesTheBadField) {
  auto with = [](const std::string& pointer, json value) {
    auto b = valid();
    b[json::json_pointer(pointer)] = value;
    return field_of(parse_new_product(b));
  };
  EXPECT_EQ(with("/sku", ""), "sku");
  EXPECT_EQ(with("/sku", "has space"), "sku");
  EXPECT_EQ(with("/sku", std::string(65, 'a')), "sku");
  EXPECT_EQ(with("/sku", 12), "sku");
  EXPECT_EQ(with("/title", ""), "title");
  EXPECT_EQ(with("/title", std::string(201, 'x')), "title");
  EXPECT_EQ(with("/price/amount_minor", -1), "price.amount_minor");
  EXPECT_EQ(with("/price/amount_minor", 12.5), "price.amount_minor");
  EXPECT_EQ(with("/price/amount_minor", "100"), "price.amount_minor");
  EXPECT_EQ(with("/price/amount_minor", 1000000000001LL), "price.amount_minor");
  EXPECT_EQ(with("/price/amount_minor", 18446744073709551615ULL), "price.amount_minor");
  EXPECT_EQ(with("/price/currency", "eur"), "price.currency");
  EXPECT_EQ(with("/price/currency", "EURO"), "price.currency");
  EXPECT_EQ(with("/price", 1999), "price");
  EXPECT_EQ(with("/active", "yes"), "active");
  EXPECT_EQ(with("/colour", "red"), "colour");
  EXPECT_EQ(with("/price/tax", 1), "price.tax");
  auto missing = valid();
  missing.erase("title");
  EXPECT_EQ(field_of(parse_new_product(missing)), "title");
  EXPECT_EQ(field_of(parse_new_product(json::array())), "body");
}

TEST(NewProductRules, Boundaries) {
  auto b = valid();
  b["price"]["amount_minor"] = 1000000000000LL;
  b["sku"] = std::string(64, 'a');
  b["title"] = std::string(200, 'x');
  EXPECT_TRUE(std::holds_alternative<NewProduct>(parse_new_product(b)));
  b["price"]["amount_minor"] = 0;
  EXPECT_TRUE(std::holds_alternative<NewProduct>(parse_new_product(b)));
  b["title"] = "\xC3\xA9t\xC3\xA9";  // "été": 3 characters, 5 bytes
  EXPECT_TRUE(std::holds_alternative<NewProduct>(parse_new_product(b)));
}

TEST(PatchRules, ParsesAndRefusesSku) {
  auto ok = parse_patch({{"title", "New"}, {"active", false}});
  ASSERT_TRUE(std::holds_alternative<ProductPatch>(ok));
  EXPECT_EQ(*std::get<ProductPatch>(ok).title, "New");
  EXPECT_FALSE(std::get<ProductPatch>(ok).price);
  EXPECT_EQ(std::get<FieldError>(parse_patch({{"sku", "X"}})).field, "sku");
  EXPECT_EQ(std::get<FieldError>(parse_patch({{"price", {{"amount_minor", 1}}}})).field,
            "price.currency");
  EXPECT_EQ(std::get<FieldError>(parse_patch({{"nope", 1}})).field, "nope");
}

TEST(PatchRules, ApplyReportsWhetherAnythingChanged) {
  Product p{"id", "SKU", "Title", {100, "EUR"}, true, "t0", "t0"};
  EXPECT_FALSE(apply_patch(p, {"Title", commerce::core::Money{100, "EUR"}, true}).changed);
  EXPECT_FALSE(apply_patch(p, {}).changed);
  auto out = apply_patch(p, {std::nullopt, commerce::core::Money{150, "EUR"}, false});
  EXPECT_TRUE(out.changed);
  EXPECT_EQ(out.after.price.amount_minor, 150);
  EXPECT_FALSE(out.after.active);
  EXPECT_EQ(out.after.title, "Title");
  EXPECT_EQ(out.after.sku, "SKU");
}

TEST(Cursor, RoundTripsAndRejectsForgeries) {
  const std::string id = "0190f0c2-7a8b-7c3d-9e4f-0123456789ab";
  const auto c = encode_cursor(id);
  EXPECT_EQ(c.find(id), std::string::npos);  // opaque
  EXPECT_EQ(decode_cursor(c), id);
  EXPECT_FALSE(decode_cursor("not a cursor"));
  EXPECT_FALSE(decode_cursor(""));
  EXPECT_FALSE(decode_cursor(encode_cursor("'; DROP TABLE products; --")));
  EXPECT_FALSE(decode_cursor(std::string(500, 'A')));
}

TEST(Limit, DefaultAndRange) {
  EXPECT_EQ(std::get<int>(parse_limit(std::nullopt)), 50);
  EXPECT_EQ(std::get<int>(parse_limit("1")), 1);
  EXPECT_EQ(std::get<int>(parse_limit("200")), 200);
  for (const auto* bad : {"0", "201", "-1", "abc", "", "1.5", "99999999999"}) {
    EXPECT_EQ(std::get<FieldError>(parse_limit(std::string(bad))).field, "limit") << bad;
  }
}

TEST(Uuid, Format) {
  EXPECT_TRUE(is_uuid("0190f0c2-7a8b-7c3d-9e4f-0123456789ab"));
  EXPECT_FALSE(is_uuid("0190f0c2-7a8b-7c3d-9e4f-0123456789aG"));
  EXPECT_FALSE(is_uuid("0190f0c27a8b7c3d9e4f0123456789ab"));
}

}  // namespace
}  // namespace product
