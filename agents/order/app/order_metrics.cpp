#include "app/order_metrics.hpp"

#include "commerce/metrics/registry.hpp"

namespace order {

namespace {
// The reasons orchestration sends (docs/architecture.md, the PlaceOrder saga).
constexpr const char* kCancelReasons[] = {"out_of_stock", "payment_declined", "timeout", "other"};
}  // namespace

std::string cancel_reason_label(const std::string& reason) {
  const auto head = reason.substr(0, reason.find(':'));
  for (const char* known : kCancelReasons) {
    if (head == known) return known;
  }
  return "other";
}

std::string currency_label(const std::string& currency) {
  return commerce::core::is_currency_code(currency) ? currency : "other";
}

OrderMetrics::OrderMetrics(commerce::metrics::Registry& registry)
    : placed_(registry.counter("orders_placed_total", "Orders accepted through the API")),
      confirmed_(registry.counter("orders_confirmed_total", "Orders confirmed (paid, stock held)")),
      cancelled_(registry.counter("orders_cancelled_total", "Orders cancelled, by reason class",
                                  {"reason"})),
      revenue_(registry.counter("order_revenue_minor_units_total",
                                "Totals of confirmed orders, in minor units of the currency",
                                {"currency"})) {
  placed_.with();
  confirmed_.with();
  for (const char* reason : kCancelReasons) cancelled_.with({reason});
}

void OrderMetrics::placed() { placed_.with().inc(); }

void OrderMetrics::confirmed(const commerce::core::Money& total) {
  confirmed_.with().inc();
  if (total.amount_minor > 0) {
    revenue_.with({currency_label(total.currency)}).inc(static_cast<double>(total.amount_minor));
  }
}

void OrderMetrics::cancelled(const std::string& reason) {
  cancelled_.with({cancel_reason_label(reason)}).inc();
}

}  // namespace order
