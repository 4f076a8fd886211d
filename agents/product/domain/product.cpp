#include "domain/product.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace product {

using nlohmann::json;

namespace {

bool is_currency(const std::string& c) {
  return c.size() == 3 &&
         std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

std::optional<FieldError> unknown_field(const json& body,
                                        std::initializer_list<const char*> known) {
  for (const auto& [key, value] : body.items()) {
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return key == k; })) {
      return FieldError{key, "unknown field"};
    }
  }
  return std::nullopt;
}

std::variant<std::string, FieldError> parse_title(const json& v) {
  if (!v.is_string()) return FieldError{"title", "must be a string"};
  auto title = v.get<std::string>();
  // Length in characters (UTF-8 code points), not bytes.
  const auto chars = std::count_if(title.begin(), title.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  });
  if (chars < 1 || chars > 200) return FieldError{"title", "must be 1-200 characters"};
  return title;
}

std::variant<commerce::core::Money, FieldError> parse_price(const json& v) {
  if (!v.is_object()) return FieldError{"price", "must be an object {amount_minor, currency}"};
  if (auto e = unknown_field(v, {"amount_minor", "currency"})) {
    return FieldError{"price." + e->field, e->message};
  }
  if (!v.contains("amount_minor")) return FieldError{"price.amount_minor", "is required"};
  const auto& amount = v["amount_minor"];
  if (!amount.is_number_integer()) {
    return FieldError{"price.amount_minor", "must be an integer number of minor units"};
  }
  if (amount.is_number_unsigned()
          ? amount.get<std::uint64_t>() > std::uint64_t(kMaxAmountMinor)
          : (amount.get<std::int64_t>() < 0 || amount.get<std::int64_t>() > kMaxAmountMinor)) {
    return FieldError{"price.amount_minor", "must be 0..1000000000000"};
  }
  if (!v.contains("currency")) return FieldError{"price.currency", "is required"};
  if (!v["currency"].is_string() || !is_currency(v["currency"].get<std::string>())) {
    return FieldError{"price.currency", "must be an ISO 4217 code (3 upper-case letters)"};
  }
  return commerce::core::Money{amount.get<std::int64_t>(), v["currency"].get<std::string>()};
}

}  // namespace

bool is_valid_sku(const std::string& sku) {
  if (sku.empty() || sku.size() > 64) return false;
  return std::all_of(sku.begin(), sku.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool is_uuid(const std::string& t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::variant<NewProduct, FieldError> parse_new_product(const json& body) {
  if (!body.is_object()) return FieldError{"body", "must be a JSON object"};
  if (auto e = unknown_field(body, {"sku", "title", "price", "active"})) return *e;
  NewProduct p;
  if (!body.contains("sku")) return FieldError{"sku", "is required"};
  if (!body["sku"].is_string() || !is_valid_sku(body["sku"].get<std::string>())) {
    return FieldError{"sku", "must be 1-64 characters of [A-Za-z0-9._-]"};
  }
  p.sku = body["sku"].get<std::string>();
  if (!body.contains("title")) return FieldError{"title", "is required"};
  auto title = parse_title(body["title"]);
  if (auto* e = std::get_if<FieldError>(&title)) return *e;
  p.title = std::get<std::string>(title);
  if (!body.contains("price")) return FieldError{"price", "is required"};
  auto price = parse_price(body["price"]);
  if (auto* e = std::get_if<FieldError>(&price)) return *e;
  p.price = std::get<commerce::core::Money>(price);
  if (body.contains("active")) {
    if (!body["active"].is_boolean()) return FieldError{"active", "must be true or false"};
    p.active = body["active"].get<bool>();
  }
  return p;
}

std::variant<ProductPatch, FieldError> parse_patch(const json& body) {
  if (!body.is_object()) return FieldError{"body", "must be a JSON object"};
  if (body.contains("sku")) return FieldError{"sku", "cannot be changed"};
  if (auto e = unknown_field(body, {"title", "price", "active"})) return *e;
  ProductPatch patch;
  if (body.contains("title")) {
    auto title = parse_title(body["title"]);
    if (auto* e = std::get_if<FieldError>(&title)) return *e;
    patch.title = std::get<std::string>(title);
  }
  if (body.contains("price")) {
    auto price = parse_price(body["price"]);
    if (auto* e = std::get_if<FieldError>(&price)) return *e;
    patch.price = std::get<commerce::core::Money>(price);
  }
  if (body.contains("active")) {
    if (!body["active"].is_boolean()) return FieldError{"active", "must be true or false"};
    patch.active = body["active"].get<bool>();
  }
  return patch;
}

PatchOutcome apply_patch(const Product& current, const ProductPatch& patch) {
  PatchOutcome out{current, false};
  if (patch.title && *patch.title != current.title) {
    out.after.title = *patch.title;
    out.changed = true;
  }
  if (patch.price && *patch.price != current.price) {
    out.after.price = *patch.price;
    out.changed = true;
  }
  if (patch.active && *patch.active != current.active) {
    out.after.active = *patch.active;
    out.changed = true;
  }
  return out;
}

namespace {
const char* kB64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const std::string kCursorPrefix = "after:";
}  // namespace

std::string encode_cursor(const std::string& last_id) {
  const std::string in = kCursorPrefix + last_id;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kB64[(buffer >> bits) & 0x3F];
    }
  }
  if (bits > 0) out += kB64[(buffer << (6 - bits)) & 0x3F];
  return out;
}

std::optional<std::string> decode_cursor(const std::string& cursor) {
  if (cursor.size() > 128) return std::nullopt;
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : cursor) {
    const char* pos = std::char_traits<char>::find(kB64, 64, c);
    if (!pos) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(pos - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  if (out.rfind(kCursorPrefix, 0) != 0) return std::nullopt;
  auto id = out.substr(kCursorPrefix.size());
  if (!is_uuid(id)) return std::nullopt;
  return id;
}

std::variant<int, FieldError> parse_limit(const std::optional<std::string>& limit) {
  if (!limit) return kDefaultPageSize;
  const auto& s = *limit;
  if (s.empty() || s.size() > 3 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return FieldError{"limit", "must be an integer 1..200"};
  }
  const int n = std::stoi(s);
  if (n < 1 || n > kMaxPageSize) return FieldError{"limit", "must be an integer 1..200"};
  return n;
}

json to_json(const Product& p) {
  return {{"id", p.id},
          {"sku", p.sku},
          {"title", p.title},
          {"price", {{"amount_minor", p.price.amount_minor}, {"currency", p.price.currency}}},
          {"active", p.active},
          {"created_at", p.created_at},
          {"updated_at", p.updated_at}};
}

json event_payload(const Product& p) {
  return {{"product_id", p.id},
          {"sku", p.sku},
          {"title", p.title},
          {"price", {{"amount_minor", p.price.amount_minor}, {"currency", p.price.currency}}},
          {"active", p.active}};
}

}  // namespace product
