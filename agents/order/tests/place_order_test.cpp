#include "domain/place_order.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace order {
namespace {

using nlohmann::json;

json valid() {
  return json::parse(R"({"customer":{"email":"ann@example.com"},
    "lines":[{"sku":"MUG","quantity":2}],"payment":{"card_token":"tok_visa"}})");
}

std::string field_of(const json& body) {
  auto result = parse_place_order(body);
  if (auto* e = std::get_if<ValidationError>(&result)) return e->field;
  return "";
}

TEST(PlaceOrder, AcceptsAValidRequest) {
  auto result = parse_place_order(valid());
  ASSERT_TRUE(std::holds_alternative<PlaceOrderRequest>(result));
  const auto& r = std::get<PlaceOrderRequest>(result);
  EXPECT_EQ(r.customer_email, "ann@example.com");
  EXPECT_EQ(r.lines, (std::vector<RequestedLine>{{"MUG", 2}}));
  EXPECT_EQ(r.card_token, "tok_visa");
}

TEST(PlaceOrder, MergesDuplicateSkus) {
  auto body = valid();
  body["lines"] = json::parse(R"([{"sku":"MUG","quantity":2},{"sku":"TEE","quantity":1},
                                 {"sku":"MUG","quantity":3}])");
  auto result = parse_place_order(body);
  ASSERT_TRUE(std::holds_alternative<PlaceOrderRequest>(result));
  EXPECT_EQ(std::get<PlaceOrderRequest>(result).lines,
            (std::vector<RequestedLine>{{"MUG", 5}, {"TEE", 1}}));
}

TEST(PlaceOrder, MergedQuantityStillHasALimit) {
  auto body = valid();
  body["lines"] = json::parse(R"([{"sku":"MUG","quantity":6000},{"sku":"MUG","quantity":6000}])");
  EXPECT_EQ(field_of(body), "lines[1].quantity");
}

TEST(PlaceOrder, RejectsBadEmails) {
  for (const char* email : {"", "ann", "ann@", "@example.com", "ann@example", "a b@example.com",
                            "ann@@example.com", "ann@example.", "ann@.example.com"}) {
    auto body = valid();
    body["customer"]["email"] = email;
    EXPECT_EQ(field_of(body), "customer.email") << email;
  }
  auto body = valid();
  body["customer"]["email"] = 42;
  EXPECT_EQ(field_of(body), "customer.email");
  body["customer"] = "ann@example.com";
  EXPECT_EQ(field_of(body), "customer");
  body.erase("customer");
  EXPECT_EQ(field_of(body), "customer");
}

TEST(PlaceOrder, RejectsBadQuantities) {
  for (const char* quantity :
       {"0", "-1", "1.5", "2.0", "\"3\"", "10001", "99999999999999999999", "null", "true", "[]"}) {
    auto body = valid();
    body["lines"][0]["quantity"] = json::parse(quantity);
    EXPECT_EQ(field_of(body), "lines[0].quantity") << quantity;
  }
  auto body = valid();
  body["lines"][0].erase("quantity");
  EXPECT_EQ(field_of(body), "lines[0].quantity");
  body = valid();
  body["lines"][0]["quantity"] = 10000;
  EXPECT_EQ(field_of(body), "");
}

TEST(PlaceOrder, RejectsBadLines) {
  auto body = valid();
  body["lines"] = json::array();
  EXPECT_EQ(field_of(body), "lines");
  body["lines"] = json::array();
  for (int i = 0; i < 101; ++i)
    body["lines"].push_back({{"sku", "S" + std::to_string(i)}, {"quantity", 1}});
  EXPECT_EQ(field_of(body), "lines");
  body["lines"].erase(100);
  EXPECT_EQ(field_of(body), "");
  body["lines"] = "MUG";
  EXPECT_EQ(field_of(body), "lines");
  body["lines"] = json::array({42});
  EXPECT_EQ(field_of(body), "lines[0]");
  for (const char* sku : {"\"\"", "1", "\"a b\"", "\"a/b\"", "\"caf\u00e9\"", "null"}) {
    body = valid();
    body["lines"][0]["sku"] = json::parse(sku);
    EXPECT_EQ(field_of(body), "lines[0].sku") << sku;
  }
}

TEST(PlaceOrder, RejectsBadCardTokens) {
  for (const char* token : {"\"\"", "1", "null", "{}"}) {
    auto body = valid();
    body["payment"]["card_token"] = json::parse(token);
    EXPECT_EQ(field_of(body), "payment.card_token") << token;
  }
  auto body = valid();
  body["payment"]["card_token"] = std::string(201, 'x');
  EXPECT_EQ(field_of(body), "payment.card_token");
  body.erase("payment");
  EXPECT_EQ(field_of(body), "payment");
}

TEST(PlaceOrder, RejectsNonObjects) {
  EXPECT_EQ(field_of(json::array()), "body");
  EXPECT_EQ(field_of(json("x")), "body");
}

}  // namespace
}  // namespace order
