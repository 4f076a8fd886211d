// Headers, Request, Response and JSON body parsing.
#include <strings.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "commerce/http/http.hpp"

namespace commerce::http {

namespace {
bool same_name(const std::string& a, const std::string& b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}
}  // namespace

void Headers::set(const std::string& name, std::string value) {
  std::erase_if(items_, [&](const auto& item) { return same_name(item.first, name); });
  items_.emplace_back(name, std::move(value));
}

void Headers::add(const std::string& name, std::string value) {
  items_.emplace_back(name, std::move(value));
}

std::optional<std::string> Headers::get(const std::string& name) const {
  for (const auto& [key, value] : items_) {
    if (same_name(key, name)) return value;
  }
  return std::nullopt;
}

std::string Request::header(const std::string& name, const std::string& fallback) const {
  auto value = headers.get(name);
  return value ? *value : fallback;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", "application/json");
  // Replace invalid UTF-8 rather than throw: a response must always be producible.
  response.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

Response Response::error(int status, const std::string& code, const std::string& message) {
  return json(status, {{"error", {{"code", code}, {"message", message}}}});
}

Response Response::text(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.headers.set("Content-Type", std::move(content_type));
  response.body = std::move(body);
  return response;
}

std::optional<Response> parse_json(const Request& request, nlohmann::json& out) {
  if (request.body.empty()) {
    return Response::error(400, "invalid_json", "request body is empty; expected a JSON document");
  }
  try {
    out = nlohmann::json::parse(request.body);
    return std::nullopt;
  } catch (const nlohmann::json::parse_error& e) {
    return Response::error(
        400, "invalid_json",
        "request body is not valid JSON (error at byte " + std::to_string(e.byte) + ")");
  }
}

}  // namespace commerce::http
