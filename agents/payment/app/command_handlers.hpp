#pragma once
// Thin handlers for payment's commands, inside the dispatcher's transaction. The provider is
// called inside that transaction (the sandbox is local and fast; a remote provider gets
// order_id as its idempotency key, so a rolled-back and retried call cannot charge twice).
#include <span>

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

  // AuthorizePayment and VoidPayment of one consumed batch, in order, in its transaction.
  void on_batch(std::span<commerce::store::MessageContext> batch);
  void void_payment(commerce::store::MessageContext& ctx);

 private:
  // Consecutive AuthorizePayment: one locking read, the provider per order, one write.
  void authorize_all(std::span<commerce::store::MessageContext> run);

  const AuthorizationRepository& authorizations_;
  PaymentProvider& provider_;
  PaymentMetrics& metrics_;
};

}  // namespace payment
