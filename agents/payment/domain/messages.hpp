#pragma once
// The wire form of payment's commands and events (payloads only). Pure; checked against
// schemas/payment/*.json by the tests.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "commerce/core/money.hpp"

namespace payment::messages {

inline constexpr const char* kAuthorizePayment = "payment.AuthorizePayment";
inline constexpr const char* kVoidPayment = "payment.VoidPayment";
inline constexpr const char* kPaymentAuthorized = "payment.PaymentAuthorized";
inline constexpr const char* kPaymentDeclined = "payment.PaymentDeclined";
inline constexpr const char* kPaymentVoided = "payment.PaymentVoided";

struct AuthorizePayment {
  std::string order_id;
  commerce::core::Money amount;
  std::string card_token;
};
struct VoidPayment {
  std::string order_id;
  std::string reason;
};

// Payloads arrive schema-checked; these throw std::invalid_argument on what the schema should
// have caught.
AuthorizePayment parse_authorize_payment(const nlohmann::json& payload);
VoidPayment parse_void_payment(const nlohmann::json& payload);

nlohmann::json money(const commerce::core::Money& m);
nlohmann::json payment_authorized(const std::string& order_id, const std::string& authorization_id,
                                  const commerce::core::Money& amount);
nlohmann::json payment_declined(const std::string& order_id, const std::string& reason,
                                const std::string& provider_code);
nlohmann::json payment_voided(const std::string& order_id,
                              const std::optional<std::string>& authorization_id);

}  // namespace payment::messages
