#pragma once
// The card processor behind an adapter. The agent calls it inside the message transaction; a
// remote adapter must send order_id as its idempotency key so a retried call cannot authorize
// twice. Adapters throw commerce::bus::TransientError for failures that may pass (network).
#include <string>

#include "commerce/core/money.hpp"

namespace payment {

struct AuthorizationRequest {
  std::string merchant_id;
  std::string order_id;
  commerce::core::Money amount;
  std::string card_token;
  std::string idempotency_key;  // = order_id
};

struct AuthorizationResult {
  bool approved = false;
  std::string authorization_id;  // when approved, e.g. "auth_..."
  std::string decline_reason;    // when declined: card_declined, insufficient_funds, ...
  std::string provider_code;     // the provider's own code, for operators
};

struct VoidRequest {
  std::string merchant_id;
  std::string order_id;
  std::string authorization_id;
  commerce::core::Money amount;
  std::string idempotency_key;  // = "void:" + order_id
};

struct VoidResult {
  bool voided = false;
  std::string provider_code;
};

class PaymentProvider {
 public:
  virtual ~PaymentProvider() = default;
  virtual std::string name() const = 0;
  virtual AuthorizationResult authorize(const AuthorizationRequest& request) = 0;
  virtual VoidResult void_authorization(const VoidRequest& request) = 0;
};

}  // namespace payment
