#include "commerce/core/money.hpp"

namespace commerce::core {

bool is_currency_code(const std::string& code) {
  if (code.size() != 3) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

std::optional<Money> add(const Money& a, const Money& b) {
  if (a.currency != b.currency) return std::nullopt;
  std::int64_t sum = 0;
  if (__builtin_add_overflow(a.amount_minor, b.amount_minor, &sum)) return std::nullopt;
  return Money{sum, a.currency};
}

std::optional<Money> multiply(const Money& m, std::int64_t quantity) {
  std::int64_t product = 0;
  if (__builtin_mul_overflow(m.amount_minor, quantity, &product)) return std::nullopt;
  return Money{product, m.currency};
}

}  // namespace commerce::core
