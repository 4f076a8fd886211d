#include "domain/sandbox_provider.hpp"

#include <random>

namespace payment {

namespace {

std::string random_suffix() {
  static thread_local std::mt19937_64 engine{std::random_device{}()};
  static const char* alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uniform_int_distribution<int> pick(0, 61);
  std::string out;
  for (int i = 0; i < 24; ++i) out += alphabet[pick(engine)];
  return out;
}

AuthorizationResult declined(std::string reason, std::string code) {
  AuthorizationResult r;
  r.decline_reason = std::move(reason);
  r.provider_code = std::move(code);
  return r;
}

}  // namespace

AuthorizationResult SandboxProvider::authorize(const AuthorizationRequest& request) {
  const auto& token = request.card_token;
  if (token == "tok_visa" || token == "tok_mastercard" || token == "tok_amex") {
    AuthorizationResult r;
    r.approved = true;
    r.authorization_id = "auth_" + random_suffix();
    r.provider_code = "approved";
    return r;
  }
  if (token == "tok_chargeDeclined") return declined("card_declined", "card_declined");
  if (token == "tok_chargeDeclinedInsufficientFunds") {
    return declined("insufficient_funds", "insufficient_funds");
  }
  if (token == "tok_chargeDeclinedExpiredCard") return declined("expired_card", "expired_card");
  return declined("invalid_card_token", "invalid_card_token");
}

VoidResult SandboxProvider::void_authorization(const VoidRequest& request) {
  if (request.authorization_id.rfind("auth_", 0) != 0) return {false, "unknown_authorization"};
  return {true, "voided"};
}

}  // namespace payment
