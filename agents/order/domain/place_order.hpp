#pragma once
// The POST /v1/orders request: shape and limits, checked before anything is priced. Pure.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <variant>
#include <vector>

#include "domain/pricing.hpp"

namespace order {

inline constexpr std::size_t kMaxLines = 100;
inline constexpr std::int64_t kMaxQuantity = 10000;
inline constexpr std::size_t kMaxSkuLength = 64;
inline constexpr std::size_t kMaxCardTokenLength = 200;
inline constexpr std::size_t kMaxEmailLength = 254;

struct PlaceOrderRequest {
  std::string customer_email;
  std::vector<RequestedLine> lines;  // duplicate SKUs merged, in order of first appearance
  std::string card_token;
};

struct ValidationError {
  std::string field;  // e.g. lines[1].quantity
  std::string message;
};

using PlaceOrderParse = std::variant<PlaceOrderRequest, ValidationError>;

PlaceOrderParse parse_place_order(const nlohmann::json& body);

bool is_email(const std::string& text);

}  // namespace order
