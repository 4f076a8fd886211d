#pragma once
// Payloads of the events the order agent emits (schemas/order/*.v1.json). Pure.
#include <nlohmann/json.hpp>
#include <string>

#include "domain/pricing.hpp"

namespace order {

nlohmann::json money_json(const Money& money);

nlohmann::json order_placed_payload(const std::string& order_id, const std::string& customer_email,
                                    const PricedOrder& priced, const std::string& card_token);
nlohmann::json order_confirmed_payload(const std::string& order_id,
                                       const std::string& customer_email, const Money& total);
nlohmann::json order_cancelled_payload(const std::string& order_id,
                                       const std::string& customer_email,
                                       const std::string& reason);

}  // namespace order
