#include "domain/pricing.hpp"

namespace order {

std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

std::optional<std::int64_t> checked_multiply(std::int64_t a, std::int64_t b) {
  std::int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

PricingResult price(const std::vector<RequestedLine>& lines, const Catalogue& catalogue) {
  PricedOrder order;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const std::string field = "lines[" + std::to_string(i) + "]";
    auto found = catalogue.find(line.sku);
    if (found == catalogue.end()) {
      return PricingError{"unknown_sku", field + ".sku", "unknown SKU '" + line.sku + "'"};
    }
    const auto& entry = found->second;
    if (!entry.active) {
      return PricingError{"product_inactive", field + ".sku",
                          "SKU '" + line.sku + "' belongs to an inactive product"};
    }
    if (entry.price.amount_minor < 0) {
      return PricingError{"unknown_sku", field + ".sku",
                          "SKU '" + line.sku + "' has no valid price"};
    }
    if (i == 0) {
      order.total = Money{0, entry.price.currency};
    } else if (entry.price.currency != order.total.currency) {
      return PricingError{"currency_mismatch", field + ".sku",
                          "SKU '" + line.sku + "' is priced in " + entry.price.currency +
                              ", the order in " + order.total.currency};
    }
    auto line_total = checked_multiply(entry.price.amount_minor, line.quantity);
    if (!line_total) {
      return PricingError{"amount_overflow", field + ".quantity",
                          "line total of SKU '" + line.sku + "' is too large"};
    }
    auto total = checked_add(order.total.amount_minor, *line_total);
    if (!total) {
      return PricingError{"amount_overflow", "lines", "order total is too large"};
    }
    order.total.amount_minor = *total;
    order.lines.push_back(PricedLine{line.sku, entry.title, line.quantity, entry.price,
                                     Money{*line_total, entry.price.currency}});
  }
  return order;
}

}  // namespace order
