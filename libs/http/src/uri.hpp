#pragma once
// Internal helpers shared by the router, server and client: percent-decoding and target parsing.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace commerce::http::detail {

// Decodes %XX escapes; `plus_is_space` for query strings. Malformed escapes stay literal.
std::string percent_decode(std::string_view text, bool plus_is_space = false);

// Splits "/a/b?x=1" into the raw (still encoded) path and the query string.
void split_target(std::string_view target, std::string_view& path, std::string_view& query);

// Parses "a=1&b=x%20y" into decoded pairs; later duplicates do not override the first.
std::map<std::string, std::string> parse_query(std::string_view query);

// Splits a raw path into segments: "/v1/orders/" -> {"v1", "orders", ""}.
std::vector<std::string_view> split_segments(std::string_view path);

}  // namespace commerce::http::detail
