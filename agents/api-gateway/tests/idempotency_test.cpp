#include "domain/idempotency.hpp"

#include <gtest/gtest.h>

namespace gateway {
namespace {

StoredRequest stored(const std::string& hash, bool done) {
  StoredRequest s;
  s.request_hash = hash;
  s.done = done;
  s.status = 201;
  s.body = R"({"id":"x"})";
  s.content_type = "application/json";
  return s;
}

TEST(IdempotencyDecision, FreeKeyIsForwarded) {
  EXPECT_EQ(decide(std::nullopt, "h1"), IdempotencyAction::forward);
}

TEST(IdempotencyDecision, SameRequestAnsweredBeforeIsReplayed) {
  EXPECT_EQ(decide(stored("h1", true), "h1"), IdempotencyAction::replay);
}

TEST(IdempotencyDecision, SameKeyOtherRequestIsRejected) {
  EXPECT_EQ(decide(stored("h1", true), "h2"), IdempotencyAction::reject_reused);
  EXPECT_EQ(decide(stored("h1", false), "h2"), IdempotencyAction::reject_reused);
}

TEST(IdempotencyDecision, SameRequestStillInFlightIsRejected) {
  EXPECT_EQ(decide(stored("h1", false), "h1"), IdempotencyAction::reject_in_progress);
}

TEST(RequestHash, CoversMethodTargetAndBody) {
  const auto base = request_hash("POST", "/v1/orders", R"({"a":1})");
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base, request_hash("POST", "/v1/orders", R"({"a":1})"));
  EXPECT_NE(base, request_hash("PUT", "/v1/orders", R"({"a":1})"));
  EXPECT_NE(base, request_hash("POST", "/v1/products", R"({"a":1})"));
  EXPECT_NE(base, request_hash("POST", "/v1/orders?x=1", R"({"a":1})"));
  EXPECT_NE(base, request_hash("POST", "/v1/orders", R"({"a":2})"));
  // Moving bytes across the boundary changes the hash.
  EXPECT_NE(request_hash("POST", "/a", "b"), request_hash("POST", "/a\nb", ""));
}

TEST(IdempotencyKey, LengthAndCharacters) {
  EXPECT_EQ(validate_idempotency_key("order-123"), std::nullopt);
  EXPECT_EQ(validate_idempotency_key(std::string(255, 'k')), std::nullopt);
  EXPECT_NE(validate_idempotency_key(std::string(256, 'k')), std::nullopt);
  EXPECT_NE(validate_idempotency_key(""), std::nullopt);
  EXPECT_NE(validate_idempotency_key("has space"), std::nullopt);
  EXPECT_NE(validate_idempotency_key("tab\there"), std::nullopt);
}

TEST(IdempotencyStorage, ServerErrorsAreNotRemembered) {
  EXPECT_TRUE(should_store(200));
  EXPECT_TRUE(should_store(201));
  EXPECT_TRUE(should_store(409));
  EXPECT_TRUE(should_store(422));
  EXPECT_FALSE(should_store(500));
  EXPECT_FALSE(should_store(503));
  EXPECT_FALSE(should_store(504));
}

}  // namespace
}  // namespace gateway
