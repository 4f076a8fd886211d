#include "domain/request_identity.hpp"

#include <cctype>

#include "commerce/core/ids.hpp"
#include "commerce/core/traceparent.hpp"

namespace gateway {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> presented_api_key(std::string_view authorization,
                                             std::string_view x_api_key) {
  const std::string_view direct = trim(x_api_key);
  if (!direct.empty()) return std::string(direct);
  constexpr std::string_view scheme = "bearer ";
  const std::string_view auth = trim(authorization);
  if (auth.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(auth[i])) != scheme[i]) return std::nullopt;
  }
  const std::string_view token = trim(auth.substr(scheme.size()));
  if (token.empty()) return std::nullopt;
  return std::string(token);
}

std::optional<std::string> accepted_request_id(std::string_view client_value) {
  if (client_value.empty() || client_value.size() > 128) return std::nullopt;
  for (char c : client_value) {
    if (c < 0x21 || c > 0x7e) return std::nullopt;
  }
  return std::string(client_value);
}

std::optional<std::string> accepted_traceparent(std::string_view client_value) {
  if (client_value.empty()) return std::nullopt;
  if (!commerce::core::TraceParent::parse(client_value)) return std::nullopt;
  return std::string(client_value);
}

std::string operator_scope(std::string_view authorization) {
  return "operator:" + commerce::core::sha256_hex(authorization).substr(0, 32);
}

bool carries_json_body(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH";
}

}  // namespace gateway
