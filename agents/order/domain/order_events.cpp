#include "domain/order_events.hpp"

namespace order {

nlohmann::json money_json(const Money& money) {
  return {{"amount_minor", money.amount_minor}, {"currency", money.currency}};
}

nlohmann::json order_placed_payload(const std::string& order_id, const std::string& customer_email,
                                    const PricedOrder& priced, const std::string& card_token) {
  auto lines = nlohmann::json::array();
  for (const auto& line : priced.lines) {
    lines.push_back({{"sku", line.sku},
                     {"quantity", line.quantity},
                     {"unit_price", money_json(line.unit_price)},
                     {"line_total", money_json(line.line_total)}});
  }
  return {{"order_id", order_id},
          {"customer_email", customer_email},
          {"lines", lines},
          {"total", money_json(priced.total)},
          {"card_token", card_token}};
}

nlohmann::json order_confirmed_payload(const std::string& order_id,
                                       const std::string& customer_email, const Money& total) {
  return {{"order_id", order_id}, {"customer_email", customer_email}, {"total", money_json(total)}};
}

nlohmann::json order_cancelled_payload(const std::string& order_id,
                                       const std::string& customer_email,
                                       const std::string& reason) {
  return {{"order_id", order_id}, {"customer_email", customer_email}, {"reason", reason}};
}

}  // namespace order
