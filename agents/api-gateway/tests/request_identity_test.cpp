#include "domain/request_identity.hpp"

#include <gtest/gtest.h>

namespace gateway {
namespace {

TEST(PresentedApiKey, FromXApiKeyOrBearer) {
  EXPECT_EQ(presented_api_key("", "ck_live_abc"), "ck_live_abc");
  EXPECT_EQ(presented_api_key("Bearer ck_live_abc", ""), "ck_live_abc");
  EXPECT_EQ(presented_api_key("bearer  ck_live_abc ", ""), "ck_live_abc");
  EXPECT_EQ(presented_api_key("Bearer other", "ck_live_abc"), "ck_live_abc");
  EXPECT_EQ(presented_api_key("Basic dXNlcjpwYXNz", ""), std::nullopt);
  EXPECT_EQ(presented_api_key("Bearer ", ""), std::nullopt);
  EXPECT_EQ(presented_api_key("", ""), std::nullopt);
  EXPECT_EQ(presented_api_key("", "   "), std::nullopt);
}

TEST(RequestId, ClientValueIsKeptWhenSane) {
  EXPECT_EQ(accepted_request_id("req-1"), "req-1");
  EXPECT_EQ(accepted_request_id(""), std::nullopt);
  EXPECT_EQ(accepted_request_id("has space"), std::nullopt);
  EXPECT_EQ(accepted_request_id(std::string(129, 'r')), std::nullopt);
  EXPECT_EQ(accepted_request_id(std::string(128, 'r')), std::string(128, 'r'));
}

TEST(TraceParentHeader, OnlyValidW3CIsKept) {
  const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_EQ(accepted_traceparent(valid), valid);
  EXPECT_EQ(accepted_traceparent("garbage"), std::nullopt);
  EXPECT_EQ(accepted_traceparent(""), std::nullopt);
}

TEST(OperatorScope, DependsOnTheCredential) {
  EXPECT_EQ(operator_scope("Bearer a"), operator_scope("Bearer a"));
  EXPECT_NE(operator_scope("Bearer a"), operator_scope("Bearer b"));
  EXPECT_EQ(operator_scope("Bearer a").rfind("operator:", 0), 0u);
}

TEST(JsonBody, CheckedOnWritesOnly) {
  EXPECT_TRUE(carries_json_body("POST"));
  EXPECT_TRUE(carries_json_body("PUT"));
  EXPECT_TRUE(carries_json_body("PATCH"));
  EXPECT_FALSE(carries_json_body("GET"));
  EXPECT_FALSE(carries_json_body("DELETE"));
}

}  // namespace
}  // namespace gateway
