#pragma once
// Prices an order from the agent's own price catalogue (fed by the product agent), never from
// the request. Pure.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "commerce/core/money.hpp"

namespace order {

using commerce::core::Money;

struct RequestedLine {
  std::string sku;
  std::int64_t quantity = 0;
  bool operator==(const RequestedLine&) const = default;
};

struct CatalogueEntry {
  std::string sku;
  std::string product_id;
  std::string title;
  Money price;
  bool active = true;
};

// Keyed by SKU.
using Catalogue = std::map<std::string, CatalogueEntry>;

struct PricedLine {
  std::string sku;
  std::string title;
  std::int64_t quantity = 0;
  Money unit_price;
  Money line_total;
};

struct PricedOrder {
  std::vector<PricedLine> lines;
  Money total;
};

struct PricingError {
  std::string code;     // unknown_sku, product_inactive, currency_mismatch, amount_overflow
  std::string field;    // e.g. lines[2].sku
  std::string message;  // names the SKU
};

using PricingResult = std::variant<PricedOrder, PricingError>;

PricingResult price(const std::vector<RequestedLine>& lines, const Catalogue& catalogue);

// Overflow-checked money arithmetic (nullopt on overflow).
std::optional<std::int64_t> checked_add(std::int64_t a, std::int64_t b);
std::optional<std::int64_t> checked_multiply(std::int64_t a, std::int64_t b);

}  // namespace order
