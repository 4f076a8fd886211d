#pragma once
// Products: SKU, title, price (integer minor units + ISO 4217 currency), active flag.
// Pure rules: what a valid product and a valid change look like, what a change does, and the
// opaque list cursor.
#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <variant>

#include "commerce/core/money.hpp"

namespace product {

inline constexpr std::int64_t kMaxAmountMinor = 1'000'000'000'000;  // 10^12
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 200;

struct Product {
  std::string id;  // UUIDv7
  std::string sku;
  std::string title;
  commerce::core::Money price;
  bool active = true;
  std::string created_at;  // RFC 3339 UTC
  std::string updated_at;
};

struct NewProduct {
  std::string sku;
  std::string title;
  commerce::core::Money price;
  bool active = true;
};

struct ProductPatch {
  std::optional<std::string> title;
  std::optional<commerce::core::Money> price;
  std::optional<bool> active;
};

// A rejected input, naming the field ("price.currency") and what is wrong with it.
struct FieldError {
  std::string field;
  std::string message;
};

std::variant<NewProduct, FieldError> parse_new_product(const nlohmann::json& body);
std::variant<ProductPatch, FieldError> parse_patch(const nlohmann::json& body);

// The product after the patch; `changed` is false when the patch repeats what is there.
struct PatchOutcome {
  Product after;
  bool changed = false;
};
PatchOutcome apply_patch(const Product& current, const ProductPatch& patch);

bool is_valid_sku(const std::string& sku);
bool is_uuid(const std::string& text);

// Keyset paging by id: the cursor is the last id of a page, opaque to clients.
std::string encode_cursor(const std::string& last_id);
std::optional<std::string> decode_cursor(const std::string& cursor);
// `limit` query parameter: absent -> default, else an integer 1..200.
std::variant<int, FieldError> parse_limit(const std::optional<std::string>& limit);

// The API representation and the event payload.
nlohmann::json to_json(const Product& p);
nlohmann::json event_payload(const Product& p);

inline constexpr const char* kProductCreated = "product.ProductCreated";
inline constexpr const char* kProductUpdated = "product.ProductUpdated";

}  // namespace product
