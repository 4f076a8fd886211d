#pragma once
// API keys: generated once, shown once, stored only as a SHA-256 hash plus a display prefix.
#include <optional>
#include <string>
#include <string_view>

namespace merchant {

inline constexpr std::string_view kApiKeyPrefix = "ck_live_";
inline constexpr std::size_t kDisplayPrefixLength = 12;

struct GeneratedApiKey {
  std::string key;     // the secret, returned to the caller once
  std::string hash;    // sha256 hex of key: what is stored and published
  std::string prefix;  // first 12 characters, for display
};

GeneratedApiKey generate_api_key();
// The stored form of a presented key.
std::string hash_api_key(std::string_view key);
std::string display_prefix(std::string_view key);

// Compares without an early exit, so response time does not reveal how much of a secret matched.
bool constant_time_equals(std::string_view a, std::string_view b);

// The token of "Authorization: Bearer <token>" (scheme case-insensitive), or nullopt.
std::optional<std::string> bearer_token(std::string_view authorization);

// True when the Authorization header carries exactly the operator token.
bool is_operator(std::string_view authorization, std::string_view operator_token);

// A merchant name without surrounding white space.
std::string normalize_merchant_name(const std::string& name);
// A normalized merchant name: 1..200 characters. nullopt when valid, else what is wrong.
std::optional<std::string> validate_merchant_name(const std::string& name);

}  // namespace merchant
