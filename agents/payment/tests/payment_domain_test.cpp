#include <gtest/gtest.h>

#include <set>

#include "domain/decisions.hpp"
#include "domain/sandbox_provider.hpp"

namespace payment {
namespace {

AuthorizationResult authorize(const std::string& token) {
  SandboxProvider sandbox;
  return sandbox.authorize({"m1", "order-1", {1999, "EUR"}, token, "order-1"});
}

TEST(Sandbox, ApprovingTokens) {
  for (const auto* token : {"tok_visa", "tok_mastercard", "tok_amex"}) {
    const auto r = authorize(token);
    EXPECT_TRUE(r.approved) << token;
    EXPECT_EQ(r.authorization_id.rfind("auth_", 0), 0u) << r.authorization_id;
    EXPECT_GT(r.authorization_id.size(), 10u);
    EXPECT_TRUE(r.decline_reason.empty());
  }
}

TEST(Sandbox, AuthorizationIdsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) ids.insert(authorize("tok_visa").authorization_id);
  EXPECT_EQ(ids.size(), 1000u);
}

TEST(Sandbox, DecliningTokens) {
  const std::vector<std::pair<std::string, std::string>> table = {
      {"tok_chargeDeclined", "card_declined"},
      {"tok_chargeDeclinedInsufficientFunds", "insufficient_funds"},
      {"tok_chargeDeclinedExpiredCard", "expired_card"},
      {"tok_unknown", "invalid_card_token"},
      {"", "invalid_card_token"},
      {"TOK_VISA", "invalid_card_token"},
  };
  for (const auto& [token, reason] : table) {
    const auto r = authorize(token);
    EXPECT_FALSE(r.approved) << token;
    EXPECT_EQ(r.decline_reason, reason) << token;
    EXPECT_EQ(r.provider_code, reason) << token;
    EXPECT_TRUE(r.authorization_id.empty());
    EXPECT_TRUE(is_decline_reason(r.decline_reason));
  }
}

TEST(Sandbox, VoidsItsOwnAuthorizations) {
  SandboxProvider sandbox;
  const auto auth = authorize("tok_visa");
  EXPECT_TRUE(sandbox
                  .void_authorization(
                      {"m1", "order-1", auth.authorization_id, {1999, "EUR"}, "void:order-1"})
                  .voided);
  EXPECT_FALSE(
      sandbox.void_authorization({"m1", "order-1", "ch_123", {1999, "EUR"}, "void:order-1"})
          .voided);
}

TEST(Decisions, AuthorizeOncePerOrder) {
  EXPECT_EQ(decide_authorize(std::nullopt), AuthorizeAction::call_provider);
  AuthorizationOnFile authorized{AuthorizationStatus::authorized, "auth_1", false, false};
  EXPECT_EQ(decide_authorize(authorized), AuthorizeAction::nothing);
  AuthorizationOnFile declined{AuthorizationStatus::declined, std::nullopt, false, false};
  EXPECT_EQ(decide_authorize(declined), AuthorizeAction::nothing);
  AuthorizationOnFile voided{AuthorizationStatus::voided, "auth_1", false, true};
  EXPECT_EQ(decide_authorize(voided), AuthorizeAction::nothing);
}

TEST(Decisions, LateAuthorizeAfterVoidTombstoneIsRefusedOnce) {
  AuthorizationOnFile tombstone{AuthorizationStatus::voided, std::nullopt, false, true};
  EXPECT_EQ(decide_authorize(tombstone), AuthorizeAction::refuse_voided);
  tombstone.late_authorize_refused = true;
  EXPECT_EQ(decide_authorize(tombstone), AuthorizeAction::nothing);
}

TEST(Decisions, Void) {
  EXPECT_EQ(decide_void(std::nullopt), VoidAction::write_tombstone);
  AuthorizationOnFile authorized{AuthorizationStatus::authorized, "auth_1", false, false};
  EXPECT_EQ(decide_void(authorized), VoidAction::void_authorization);
  AuthorizationOnFile declined{AuthorizationStatus::declined, std::nullopt, false, false};
  EXPECT_EQ(decide_void(declined), VoidAction::acknowledge_declined);
  declined.void_acknowledged = true;
  EXPECT_EQ(decide_void(declined), VoidAction::nothing);
  AuthorizationOnFile voided{AuthorizationStatus::voided, "auth_1", false, true};
  EXPECT_EQ(decide_void(voided), VoidAction::nothing);
  AuthorizationOnFile tombstone{AuthorizationStatus::voided, std::nullopt, false, true};
  EXPECT_EQ(decide_void(tombstone), VoidAction::nothing);
}

TEST(Decisions, DeclineReasons) {
  for (const auto* r :
       {"card_declined", "insufficient_funds", "expired_card", "invalid_card_token", "voided"}) {
    EXPECT_TRUE(is_decline_reason(r)) << r;
  }
  EXPECT_FALSE(is_decline_reason("fraud"));
}

}  // namespace
}  // namespace payment
