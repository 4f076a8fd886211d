#pragma once
// The payment agent's business metrics: authorizations by outcome, declines by reason (the
// fixed vocabulary of payment.PaymentDeclined) and authorized amounts per currency in minor units.
#include <string>

#include "commerce/core/money.hpp"
#include "commerce/metrics/fwd.hpp"

namespace payment {

class PaymentMetrics {
 public:
  explicit PaymentMetrics(commerce::metrics::Registry& registry);
  void authorized(const commerce::core::Money& amount);
  // `reason` outside the decline vocabulary counts as "other".
  void declined(const std::string& reason);

 private:
  commerce::metrics::Family<commerce::metrics::Counter>& authorizations_;
  commerce::metrics::Family<commerce::metrics::Counter>& declines_;
  commerce::metrics::Family<commerce::metrics::Counter>& authorized_amount_;
};

}  // namespace payment
