#pragma once
// What the customer is told: subject and body rendered from an order event. Pure functions.
#include <cstdint>
#include <string>

#include "commerce/core/money.hpp"

namespace notification {

struct RenderedMessage {
  std::string subject;
  std::string body;
};

// "EUR 1,234.50" style: the currency's own number of decimals (JPY none, KWD three).
std::string format_money(const commerce::core::Money& money);
// Digits after the decimal point for an ISO 4217 code (2 unless known otherwise).
int minor_unit_digits(const std::string& currency);

// A cancel reason code (out_of_stock, card_declined, ...) in words for a customer.
std::string describe_cancel_reason(const std::string& reason);

RenderedMessage render_order_confirmed(const std::string& order_id,
                                       const commerce::core::Money& total);
RenderedMessage render_order_cancelled(const std::string& order_id, const std::string& reason);

}  // namespace notification
