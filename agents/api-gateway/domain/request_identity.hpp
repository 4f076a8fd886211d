#pragma once
// Who is calling and which request this is: pure parsing of the gateway's inbound headers.
#include <optional>
#include <string>
#include <string_view>

namespace gateway {

// The API key from "X-Api-Key: <key>" or, failing that, "Authorization: Bearer <key>".
std::optional<std::string> presented_api_key(std::string_view authorization,
                                             std::string_view x_api_key);

// The client's X-Request-Id when it is sane (1..128 visible ASCII), else nullopt.
std::optional<std::string> accepted_request_id(std::string_view client_value);

// The client's traceparent when it is valid W3C, else nullopt.
std::optional<std::string> accepted_traceparent(std::string_view client_value);

// The idempotency scope of an operator request: the token's hash, so one caller's keys can
// never collide with (or replay to) another caller's.
std::string operator_scope(std::string_view authorization);

// Whether the method carries a JSON body the gateway checks before forwarding.
bool carries_json_body(std::string_view method);

}  // namespace gateway
