#include "domain/api_keys.hpp"

#include <cctype>

#include "commerce/core/ids.hpp"

namespace merchant {

GeneratedApiKey generate_api_key() {
  GeneratedApiKey generated;
  generated.key = std::string(kApiKeyPrefix) + commerce::core::random_token(24);
  generated.hash = hash_api_key(generated.key);
  generated.prefix = display_prefix(generated.key);
  return generated;
}

std::string hash_api_key(std::string_view key) { return commerce::core::sha256_hex(key); }

std::string display_prefix(std::string_view key) {
  return std::string(key.substr(0, kDisplayPrefixLength));
}

bool constant_time_equals(std::string_view a, std::string_view b) {
  // Walk the longer length so a length mismatch costs as much as a content mismatch.
  const std::size_t n = a.size() > b.size() ? a.size() : b.size();
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) {
      return std::nullopt;
    }
  }
  std::string_view token = authorization.substr(scheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

bool is_operator(std::string_view authorization, std::string_view operator_token) {
  if (operator_token.empty()) return false;  // an empty token must never open the door
  const auto token = bearer_token(authorization);
  if (!token) return false;
  return constant_time_equals(*token, operator_token);
}

std::string normalize_merchant_name(const std::string& name) {
  const std::size_t first = name.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const std::size_t last = name.find_last_not_of(" \t\r\n");
  return name.substr(first, last - first + 1);
}

std::optional<std::string> validate_merchant_name(const std::string& name) {
  if (name.empty()) return "name: must not be empty";
  if (name.size() > 200) return "name: at most 200 characters";
  return std::nullopt;
}

}  // namespace merchant
