#include "domain/templates.hpp"

#include <cstdlib>
#include <map>

namespace notification {
namespace {

// Thousands separators on the integer part.
std::string group_thousands(std::string digits) {
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[static_cast<std::size_t>(i)];
  }
  return out;
}

}  // namespace

int minor_unit_digits(const std::string& currency) {
  static const std::map<std::string, int> exceptions = {
      {"BIF", 0}, {"CLP", 0}, {"DJF", 0}, {"GNF", 0}, {"ISK", 0}, {"JPY", 0},
      {"KMF", 0}, {"KRW", 0}, {"PYG", 0}, {"RWF", 0}, {"UGX", 0}, {"VND", 0},
      {"VUV", 0}, {"XAF", 0}, {"XOF", 0}, {"XPF", 0}, {"BHD", 3}, {"IQD", 3},
      {"JOD", 3}, {"KWD", 3}, {"LYD", 3}, {"OMR", 3}, {"TND", 3}};
  const auto it = exceptions.find(currency);
  return it == exceptions.end() ? 2 : it->second;
}

std::string format_money(const commerce::core::Money& money) {
  const int digits = minor_unit_digits(money.currency);
  const bool negative = money.amount_minor < 0;
  // Work in unsigned so the most negative amount does not overflow on negation.
  std::uint64_t magnitude = negative ? 0 - static_cast<std::uint64_t>(money.amount_minor)
                                     : static_cast<std::uint64_t>(money.amount_minor);
  std::uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string whole = group_thousands(std::to_string(magnitude / scale));
  std::string text = money.currency + " " + (negative ? "-" : "") + whole;
  if (digits > 0) {
    std::string fraction = std::to_string(magnitude % scale);
    fraction.insert(0, static_cast<std::size_t>(digits) - fraction.size(), '0');
    text += "." + fraction;
  }
  return text;
}

std::string describe_cancel_reason(const std::string& reason) {
  static const std::map<std::string, std::string> words = {
      {"out_of_stock", "some items in your order are out of stock"},
      {"card_declined", "your card was declined"},
      {"insufficient_funds", "your card has insufficient funds"},
      {"invalid_card_token", "the card details could not be used"},
      {"payment_declined", "your payment was declined"},
      {"payment_timeout", "we could not confirm your payment in time"},
      {"inventory_timeout", "we could not reserve your items in time"},
      {"timeout", "we could not complete your order in time"},
      {"unpaid", "the order was not paid in time"},
      {"customer_request", "you asked us to cancel it"},
      {"merchant_request", "the shop cancelled it"},
  };
  const auto it = words.find(reason);
  if (it != words.end()) return it->second;
  // The order agent qualifies some codes: "payment_declined:<why>", "timeout:<step>".
  if (const auto colon = reason.find(':'); colon != std::string::npos) {
    const std::string head = reason.substr(0, colon);
    const std::string detail = reason.substr(colon + 1);
    if (head == "payment_declined") {
      const auto known = words.find(detail);
      return known != words.end() ? known->second : "your payment was declined";
    }
    if (head == "timeout") return "we could not complete your order in time";
  }
  if (reason.empty()) return "of a problem with the order";
  // An unknown code still reads as words rather than as an identifier.
  std::string text = reason;
  for (char& c : text) {
    if (c == '_' || c == '-') c = ' ';
  }
  return text;
}

RenderedMessage render_order_confirmed(const std::string& order_id,
                                       const commerce::core::Money& total) {
  return {"Your order " + order_id + " is confirmed",
          "Thank you for your order.\n\nOrder: " + order_id + "\nTotal: " + format_money(total) +
              "\n\nWe will let you know when it ships.\n"};
}

RenderedMessage render_order_cancelled(const std::string& order_id, const std::string& reason) {
  return {"Your order " + order_id + " was cancelled",
          "We are sorry: your order " + order_id + " was cancelled because " +
              describe_cancel_reason(reason) +
              ".\n\nYou have not been charged for it. You are welcome to order again.\n"};
}

}  // namespace notification
