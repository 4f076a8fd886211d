#pragma once
// The public /v1 routes: which agent owns each, and how the caller must authenticate.
// The patterns are the agents' own, so the gateway answers 404/405 exactly as they would.
#include <string>
#include <string_view>
#include <vector>

namespace gateway {

enum class Access {
  api_key,         // a merchant's API key; the gateway adds X-Merchant-Id
  operator_token,  // passed through with Authorization; the merchant agent checks the token
};

struct RouteSpec {
  std::string method;
  std::string pattern;   // "{name}" matches one path segment
  std::string upstream;  // agent name: merchant, product, inventory, order, payment
  Access access = Access::api_key;
  // The upstream honours Idempotency-Key itself, in the transaction of its effect (the order
  // agent, in the statement that places the order): the gateway checks the key's form and
  // forwards it, and stores nothing. Two round trips to the gateway's database fewer per POST,
  // and no window between the effect and a separate record of it.
  bool upstream_keeps_idempotency = false;
};

const std::vector<RouteSpec>& route_table();

// Distinct upstream agent names, in table order.
std::vector<std::string> upstream_names();
// The setting naming an upstream's base URL: AGENT_URL_<NAME> ('-' -> '_', upper case).
std::string upstream_setting(std::string_view upstream);

struct RouteMatch {
  enum class Kind { found, method_not_allowed, not_found };
  Kind kind = Kind::not_found;
  const RouteSpec* route = nullptr;  // set when found
};

// Pure form of the gateway's routing (the Router does the same at run time).
RouteMatch match_route(std::string_view method, std::string_view path);
bool pattern_matches(std::string_view pattern, std::string_view path);

}  // namespace gateway
