#pragma once
// Thin handlers for payment's commands, inside the dispatcher's transaction. The provider is
// called inside that transaction (the sandbox is local and fast; a remote provider gets
// order_id as its idempotency key, so a rolled-back and retried call cannot charge twice).
#include "app/authorization_repository.hpp"
#include "app/payment_metrics.hpp"
#include "domain/payment_provider.hpp"

namespace commerce::store {
class MessageContext;
}

namespace payment {

class CommandHandlers {
 public:
  CommandHandlers(const AuthorizationRepository& authorizations, PaymentProvider& provider,
                  PaymentMetrics& metrics)
      : authorizations_(authorizations), provider_(provider), metrics_(metrics) {}

  void authorize(commerce::store::MessageContext& ctx);
  void void_payment(commerce::store::MessageContext& ctx);

 private:
  const AuthorizationRepository& authorizations_;
  PaymentProvider& provider_;
  PaymentMetrics& metrics_;
};

}  // namespace payment
