#pragma once
// Money is an integer amount of minor units plus an ISO 4217 currency. Never a double.
#include <cstdint>
#include <optional>
#include <string>

namespace commerce::core {

struct Money {
  std::int64_t amount_minor = 0;
  std::string currency;  // ISO 4217, three upper-case letters

  bool operator==(const Money&) const = default;
};

bool is_currency_code(const std::string& code);

// Sum of two amounts in the same currency; nullopt on currency mismatch or overflow.
std::optional<Money> add(const Money& a, const Money& b);
// amount * quantity; nullopt on overflow.
std::optional<Money> multiply(const Money& m, std::int64_t quantity);

}  // namespace commerce::core
