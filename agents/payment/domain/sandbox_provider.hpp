#pragma once
// The built-in provider: behaves like the well-known card sandboxes' test mode, locally.
//   tok_visa, tok_mastercard, tok_amex             approved, authorization id "auth_<random>"
//   tok_chargeDeclined                              card_declined
//   tok_chargeDeclinedInsufficientFunds             insufficient_funds
//   tok_chargeDeclinedExpiredCard                   expired_card
//   anything else                                   invalid_card_token
// Voids of its own "auth_" ids succeed.
#include "domain/payment_provider.hpp"

namespace payment {

class SandboxProvider final : public PaymentProvider {
 public:
  std::string name() const override { return "sandbox"; }
  AuthorizationResult authorize(const AuthorizationRequest& request) override;
  VoidResult void_authorization(const VoidRequest& request) override;
};

}  // namespace payment
