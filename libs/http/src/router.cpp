// Method + pattern routing with {param} segments.
#include <algorithm>
#include <exception>

#include "commerce/http/http.hpp"
#include "uri.hpp"

namespace commerce::http {

namespace {
bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}
}  // namespace

void Router::add(const std::string& method, const std::string& pattern, Handler handler) {
  Route route;
  route.method = method;
  route.pattern = pattern;
  for (auto segment : detail::split_segments(pattern)) route.segments.emplace_back(segment);
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

Response Router::dispatch(Request& request) const {
  std::string_view raw_path = request.path;
  if (!request.target.empty()) {
    std::string_view raw_query;
    detail::split_target(request.target, raw_path, raw_query);
    request.path = detail::percent_decode(raw_path);
    request.query = detail::parse_query(raw_query);
  }
  // Segments are decoded one by one so an encoded '/' stays inside its parameter.
  std::vector<std::string> segments;
  for (auto segment : detail::split_segments(raw_path)) {
    segments.push_back(detail::percent_decode(segment));
  }

  const Route* best = nullptr;
  std::size_t best_literals = 0;
  std::map<std::string, std::string> best_params;
  std::vector<std::string> allowed;
  for (const auto& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    std::size_t literals = 0;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const auto& want = route.segments[i];
      if (is_param(want)) {
        if (segments[i].empty())
          match = false;
        else
          params[want.substr(1, want.size() - 2)] = segments[i];
      } else if (want == segments[i]) {
        ++literals;
      } else {
        match = false;
      }
    }
    if (!match) continue;
    if (route.method != request.method) {
      if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end()) {
        allowed.push_back(route.method);
      }
      continue;
    }
    // The most literal pattern wins: "/v1/orders/search" beats "/v1/orders/{id}".
    if (best == nullptr || literals > best_literals) {
      best = &route;
      best_literals = literals;
      best_params = std::move(params);
    }
  }

  if (best == nullptr) {
    request.route.clear();
    if (allowed.empty()) {
      return Response::error(404, "not_found", "no route for " + request.path);
    }
    std::sort(allowed.begin(), allowed.end());
    std::string allow;
    for (const auto& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
    auto response = Response::error(405, "method_not_allowed",
                                    request.method + " is not allowed on " + request.path);
    response.headers.set("Allow", allow);
    return response;
  }

  request.params = std::move(best_params);
  request.route = best->pattern;
  try {
    return best->handler(request);
  } catch (const std::exception&) {
    // The exception text may hold internals; the caller's log and metrics see the 500.
    return Response::error(500, "internal", "internal error while handling the request");
  } catch (...) {
    return Response::error(500, "internal", "internal error while handling the request");
  }
}

}  // namespace commerce::http
