#include "domain/notification.hpp"

#include <stdexcept>

#include "domain/templates.hpp"

namespace notification {
namespace {

std::string required_string(const nlohmann::json& payload, const char* field) {
  if (!payload.is_object() || !payload.contains(field) || !payload[field].is_string()) {
    throw std::invalid_argument(std::string(field) + ": a string is required");
  }
  return payload[field].get<std::string>();
}

commerce::core::Money required_money(const nlohmann::json& payload, const char* field) {
  if (!payload.contains(field) || !payload[field].is_object() ||
      !payload[field].contains("amount_minor") ||
      !payload[field]["amount_minor"].is_number_integer() || !payload[field].contains("currency") ||
      !payload[field]["currency"].is_string()) {
    throw std::invalid_argument(std::string(field) + ": {amount_minor, currency} is required");
  }
  return {payload[field]["amount_minor"].get<std::int64_t>(),
          payload[field]["currency"].get<std::string>()};
}

}  // namespace

std::optional<Email> email_for(const std::string& event_type, const std::string& merchant_id,
                               const nlohmann::json& payload) {
  Email email;
  email.merchant_id = merchant_id;
  if (event_type == "order.OrderConfirmed") {
    email.kind = kOrderConfirmed;
    email.order_id = required_string(payload, "order_id");
    const auto rendered = render_order_confirmed(email.order_id, required_money(payload, "total"));
    email.subject = rendered.subject;
    email.body = rendered.body;
  } else if (event_type == "order.OrderCancelled") {
    email.kind = kOrderCancelled;
    email.order_id = required_string(payload, "order_id");
    const std::string reason = payload.contains("reason") && payload["reason"].is_string()
                                   ? payload["reason"].get<std::string>()
                                   : "";
    const auto rendered = render_order_cancelled(email.order_id, reason);
    email.subject = rendered.subject;
    email.body = rendered.body;
  } else {
    return std::nullopt;
  }
  email.recipient = required_string(payload, "customer_email");
  return email;
}

nlohmann::json notification_sent(const std::string& order_id, const std::string& kind,
                                 const std::string& channel, const std::string& recipient) {
  return {{"order_id", order_id}, {"kind", kind}, {"channel", channel}, {"recipient", recipient}};
}

}  // namespace notification
