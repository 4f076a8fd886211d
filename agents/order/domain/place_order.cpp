#include "domain/place_order.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

namespace order {

bool is_email(const std::string& text) {
  if (text.empty() || text.size() > kMaxEmailLength) return false;
  const auto at = text.find('@');
  if (at == std::string::npos || at == 0 || text.find('@', at + 1) != std::string::npos) {
    return false;
  }
  for (unsigned char c : text) {
    if (c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"' ||
        c == '\\' || c == '(' || c == ')' || c == '[' || c == ']') {
      return false;
    }
  }
  const std::string domain = text.substr(at + 1);
  const auto dot = domain.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 >= domain.size()) return false;
  if (domain.front() == '.' || domain.find("..") != std::string::npos) return false;
  return true;
}

namespace {

bool is_sku(const std::string& sku) {
  if (sku.empty() || sku.size() > kMaxSkuLength) return false;
  // The catalogue's SKU alphabet (schemas/product, schemas/inventory): [A-Za-z0-9._-].
  for (unsigned char c : sku) {
    if (!std::isalnum(c) && c != '.' && c != '_' && c != '-') return false;
  }
  return true;
}

}  // namespace

PlaceOrderParse parse_place_order(const nlohmann::json& body) {
  using nlohmann::json;
  if (!body.is_object()) return ValidationError{"body", "the body must be a JSON object"};
  PlaceOrderRequest request;

  auto customer = body.find("customer");
  if (customer == body.end() || !customer->is_object()) {
    return ValidationError{"customer", "customer must be an object with an email"};
  }
  auto email = customer->find("email");
  if (email == customer->end() || !email->is_string()) {
    return ValidationError{"customer.email", "customer.email must be a string"};
  }
  request.customer_email = email->get<std::string>();
  if (!is_email(request.customer_email)) {
    return ValidationError{"customer.email", "customer.email is not an email address"};
  }

  auto lines = body.find("lines");
  if (lines == body.end() || !lines->is_array()) {
    return ValidationError{"lines", "lines must be an array"};
  }
  if (lines->empty() || lines->size() > kMaxLines) {
    return ValidationError{"lines", "lines must hold 1 to " + std::to_string(kMaxLines) + " lines"};
  }
  for (std::size_t i = 0; i < lines->size(); ++i) {
    const json& line = (*lines)[i];
    const std::string field = "lines[" + std::to_string(i) + "]";
    if (!line.is_object()) return ValidationError{field, field + " must be an object"};
    auto sku = line.find("sku");
    if (sku == line.end() || !sku->is_string() || !is_sku(sku->get<std::string>())) {
      return ValidationError{field + ".sku", field + ".sku must be a non-empty SKU of at most " +
                                                 std::to_string(kMaxSkuLength) +
                                                 " characters of A-Z a-z 0-9 . _ -"};
    }
    auto quantity = line.find("quantity");
    const std::string quantity_rule =
        field + ".quantity must be an integer from 1 to " + std::to_string(kMaxQuantity);
    if (quantity == line.end()) return ValidationError{field + ".quantity", quantity_rule};
    std::int64_t q = 0;
    if (quantity->is_number_unsigned()) {
      const auto u = quantity->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(kMaxQuantity)) {
        return ValidationError{field + ".quantity", quantity_rule};
      }
      q = static_cast<std::int64_t>(u);
    } else if (quantity->is_number_integer()) {
      q = quantity->get<std::int64_t>();
    } else {
      return ValidationError{field + ".quantity", quantity_rule};
    }
    if (q < 1 || q > kMaxQuantity) return ValidationError{field + ".quantity", quantity_rule};

    // Duplicate SKUs are merged into the first line that named them.
    const std::string s = sku->get<std::string>();
    bool merged = false;
    for (auto& existing : request.lines) {
      if (existing.sku == s) {
        existing.quantity += q;
        if (existing.quantity > kMaxQuantity) {
          return ValidationError{
              field + ".quantity",
              "the lines for SKU '" + s + "' add up to more than " + std::to_string(kMaxQuantity)};
        }
        merged = true;
        break;
      }
    }
    if (!merged) request.lines.push_back(RequestedLine{s, q});
  }

  auto payment = body.find("payment");
  if (payment == body.end() || !payment->is_object()) {
    return ValidationError{"payment", "payment must be an object with a card_token"};
  }
  auto token = payment->find("card_token");
  if (token == payment->end() || !token->is_string() || token->get<std::string>().empty() ||
      token->get<std::string>().size() > kMaxCardTokenLength) {
    return ValidationError{"payment.card_token",
                           "payment.card_token must be a non-empty string of at most " +
                               std::to_string(kMaxCardTokenLength) + " characters"};
  }
  request.card_token = token->get<std::string>();
  return request;
}

}  // namespace order
