#pragma once
// Notification values: which order event becomes which e-mail, and the NotificationSent payload.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace notification {

inline constexpr const char* kOrderConfirmed = "order_confirmed";
inline constexpr const char* kOrderCancelled = "order_cancelled";
inline constexpr const char* kEmailChannel = "email";
inline constexpr const char* kNotificationSent = "notification.NotificationSent";

struct Email {
  std::string merchant_id;
  std::string order_id;
  std::string kind;  // order_confirmed | order_cancelled
  std::string recipient;
  std::string subject;
  std::string body;
};

// The e-mail for an order.OrderConfirmed / order.OrderCancelled payload; nullopt for any other
// type. Throws std::invalid_argument when a required field is missing (never valid input).
std::optional<Email> email_for(const std::string& event_type, const std::string& merchant_id,
                               const nlohmann::json& payload);

nlohmann::json notification_sent(const std::string& order_id, const std::string& kind,
                                 const std::string& channel, const std::string& recipient);

}  // namespace notification
