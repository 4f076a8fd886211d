#include "app/payment_metrics.hpp"

#include "commerce/metrics/registry.hpp"
#include "domain/decisions.hpp"

namespace payment {

PaymentMetrics::PaymentMetrics(commerce::metrics::Registry& registry)
    : authorizations_(registry.counter("payment_authorizations_total",
                                       "Authorization requests decided, by outcome", {"outcome"})),
      declines_(
          registry.counter("payment_declines_total", "Payments declined, by reason", {"reason"})),
      authorized_amount_(registry.counter("payment_authorized_amount_minor_units_total",
                                          "Amounts authorized, in minor units of the currency",
                                          {"currency"})) {
  authorizations_.with({"authorized"});
  authorizations_.with({"declined"});
  for (const char* reason : {"card_declined", "insufficient_funds", "expired_card",
                             "invalid_card_token", "voided", "other"}) {
    declines_.with({reason});
  }
}

void PaymentMetrics::authorized(const commerce::core::Money& amount) {
  authorizations_.with({"authorized"}).inc();
  if (amount.amount_minor > 0) {
    authorized_amount_
        .with({commerce::core::is_currency_code(amount.currency) ? amount.currency : "other"})
        .inc(static_cast<double>(amount.amount_minor));
  }
}

void PaymentMetrics::declined(const std::string& reason) {
  authorizations_.with({"declined"}).inc();
  declines_.with({is_decline_reason(reason) ? reason : "other"}).inc();
}

}  // namespace payment
