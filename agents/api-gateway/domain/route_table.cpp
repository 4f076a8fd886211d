#include "domain/route_table.hpp"

#include <algorithm>
#include <cctype>

namespace gateway {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    out.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace

const std::vector<RouteSpec>& route_table() {
  static const std::vector<RouteSpec> table = {
      {"POST", "/v1/orders", "order", Access::api_key, /*upstream_keeps_idempotency=*/true},
      {"GET", "/v1/orders", "order", Access::api_key},
      {"GET", "/v1/orders/{id}", "order", Access::api_key},
      {"POST", "/v1/products", "product", Access::api_key},
      {"GET", "/v1/products", "product", Access::api_key},
      {"GET", "/v1/products/{id}", "product", Access::api_key},
      {"PATCH", "/v1/products/{id}", "product", Access::api_key},
      {"PUT", "/v1/stock/{sku}", "inventory", Access::api_key},
      {"GET", "/v1/stock/{sku}", "inventory", Access::api_key},
      {"POST", "/v1/stock/{sku}/adjustments", "inventory", Access::api_key},
      {"GET", "/v1/payments/{order_id}", "payment", Access::api_key},
      {"POST", "/v1/merchants", "merchant", Access::operator_token},
      {"GET", "/v1/merchants/me", "merchant", Access::api_key},
      {"POST", "/v1/merchants/{id}/api-keys", "merchant", Access::operator_token},
      {"DELETE", "/v1/merchants/{id}/api-keys/{key_id}", "merchant", Access::operator_token},
  };
  return table;
}

std::vector<std::string> upstream_names() {
  std::vector<std::string> names;
  for (const auto& route : route_table()) {
    if (std::find(names.begin(), names.end(), route.upstream) == names.end()) {
      names.push_back(route.upstream);
    }
  }
  return names;
}

std::string upstream_setting(std::string_view upstream) {
  std::string setting = "AGENT_URL_";
  for (char c : upstream) {
    setting += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return setting;
}

bool pattern_matches(std::string_view pattern, std::string_view path) {
  const auto want = segments(pattern);
  const auto have = segments(path);
  if (want.size() != have.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const bool is_param = want[i].size() >= 2 && want[i].front() == '{' && want[i].back() == '}';
    if (is_param) {
      if (have[i].empty()) return false;
    } else if (want[i] != have[i]) {
      return false;
    }
  }
  return true;
}

RouteMatch match_route(std::string_view method, std::string_view path) {
  RouteMatch match;
  for (const auto& route : route_table()) {
    if (!pattern_matches(route.pattern, path)) continue;
    if (route.method == method) return RouteMatch{RouteMatch::Kind::found, &route};
    match.kind = RouteMatch::Kind::method_not_allowed;
  }
  return match;
}

}  // namespace gateway
