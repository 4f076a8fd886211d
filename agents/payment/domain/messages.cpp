#include "domain/messages.hpp"

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace payment::messages {

using nlohmann::json;

namespace {

std::string required_string(const json& j, const char* field) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string()) {
    throw std::invalid_argument(std::string("payload.") + field + " must be a string");
  }
  return j[field].get<std::string>();
}

}  // namespace

AuthorizePayment parse_authorize_payment(const json& payload) {
  AuthorizePayment command;
  command.order_id = required_string(payload, "order_id");
  command.card_token = required_string(payload, "card_token");
  if (!payload.contains("amount") || !payload["amount"].is_object()) {
    throw std::invalid_argument("payload.amount must be an object");
  }
  const auto& amount = payload["amount"];
  if (!amount.contains("amount_minor") || !amount["amount_minor"].is_number_integer()) {
    throw std::invalid_argument("payload.amount.amount_minor must be an integer");
  }
  command.amount.amount_minor = amount["amount_minor"].get<std::int64_t>();
  if (command.amount.amount_minor < 0) {
    throw std::invalid_argument("payload.amount.amount_minor must not be negative");
  }
  command.amount.currency = required_string(amount, "currency");
  return command;
}

VoidPayment parse_void_payment(const json& payload) {
  VoidPayment command;
  command.order_id = required_string(payload, "order_id");
  command.reason = payload.contains("reason") && payload["reason"].is_string()
                       ? payload["reason"].get<std::string>()
                       : std::string();
  return command;
}

json money(const commerce::core::Money& m) {
  return {{"amount_minor", m.amount_minor}, {"currency", m.currency}};
}

json payment_authorized(const std::string& order_id, const std::string& authorization_id,
                        const commerce::core::Money& amount) {
  return {
      {"order_id", order_id}, {"authorization_id", authorization_id}, {"amount", money(amount)}};
}

json payment_declined(const std::string& order_id, const std::string& reason,
                      const std::string& provider_code) {
  return {{"order_id", order_id}, {"reason", reason}, {"provider_code", provider_code}};
}

json payment_voided(const std::string& order_id,
                    const std::optional<std::string>& authorization_id) {
  return {{"order_id", order_id},
          {"authorization_id", authorization_id ? json(*authorization_id) : json(nullptr)}};
}

}  // namespace payment::messages
