#pragma once
// The order agent's business metrics: orders placed, confirmed, cancelled by a bounded reason,
// and confirmed revenue per currency in minor units (integers, like all our money).
// Counted where the fact is decided; a message handler's count can run twice only when its
// batch transaction rolls back and is retried (rare), so these are for dashboards, not books.
#include <string>

#include "commerce/core/money.hpp"
#include "commerce/metrics/fwd.hpp"

namespace order {

// The cancellation reasons the label may take: the reason's class (the part before ':', as
// in "payment_declined:card_declined" or "timeout:reserve_stock"), "other" for anything else.
std::string cancel_reason_label(const std::string& reason);
// An ISO 4217 code, or "other" (keeps the currency label bounded whatever arrives).
std::string currency_label(const std::string& currency);

class OrderMetrics {
 public:
  explicit OrderMetrics(commerce::metrics::Registry& registry);
  void placed();
  void confirmed(const commerce::core::Money& total);
  void cancelled(const std::string& reason);

 private:
  commerce::metrics::Family<commerce::metrics::Counter>& placed_;
  commerce::metrics::Family<commerce::metrics::Counter>& confirmed_;
  commerce::metrics::Family<commerce::metrics::Counter>& cancelled_;
  commerce::metrics::Family<commerce::metrics::Counter>& revenue_;
};

}  // namespace order
