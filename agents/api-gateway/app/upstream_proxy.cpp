#include "app/upstream_proxy.hpp"

#include <chrono>
#include <stdexcept>

#include "commerce/log/log.hpp"

namespace gateway {

using commerce::http::Response;

UpstreamProxy::UpstreamProxy(commerce::http::Client& client,
                             std::map<std::string, std::string> base_urls,
                             commerce::metrics::Registry& metrics)
    : client_(client),
      base_urls_(std::move(base_urls)),
      duration_(metrics.histogram("gateway_upstream_duration_seconds",
                                  "Time to the upstream agent's answer (or failure), by upstream",
                                  {"upstream"})) {}

bool is_timeout_error(const std::string& what) {
  // commerce::http::Client says "timed out after N ms" when its deadline passed.
  return what.find("timed out") != std::string::npos;
}

Response UpstreamProxy::forward(const commerce::http::Request& request, const RouteSpec& route,
                                const ForwardContext& context) {
  const auto base = base_urls_.find(route.upstream);
  if (base == base_urls_.end()) {
    return Response::error(503, "upstream_unavailable", route.upstream + " is not configured");
  }
  // Headers are built from scratch: nothing the client sent reaches the agent unless listed
  // here, so a client's own X-Merchant-Id can never pass.
  commerce::http::Headers headers;
  if (auto content_type = request.headers.get("Content-Type")) {
    headers.set("Content-Type", *content_type);
  }
  if (auto accept = request.headers.get("Accept")) headers.set("Accept", *accept);
  if (!context.merchant_id.empty()) headers.set("X-Merchant-Id", context.merchant_id);
  if (!context.authorization.empty()) headers.set("Authorization", context.authorization);
  headers.set("X-Request-Id", context.request_id);
  headers.set("traceparent", context.traceparent);
  // The agent deduplicates by it too: the gateway's own record of a key can outlive neither a
  // database outage between claiming and completing it nor a crash of the gateway.
  if (auto key = request.headers.get("Idempotency-Key")) headers.set("Idempotency-Key", *key);

  const auto started = std::chrono::steady_clock::now();
  auto observe = [&] {
    duration_.with({route.upstream})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  Response upstream;
  try {
    upstream =
        client_.request(request.method, base->second + request.target, request.body, headers);
  } catch (const std::exception& e) {
    observe();
    const bool timed_out = is_timeout_error(e.what());
    commerce::log::warn(
        "upstream request failed",
        {{"upstream", route.upstream}, {"error", e.what()}, {"request_id", context.request_id}});
    if (timed_out) {
      return Response::error(504, "upstream_timeout", route.upstream + " did not answer in time");
    }
    return Response::error(503, "upstream_unavailable", route.upstream + " is unreachable");
  }
  observe();

  Response response;
  response.status = upstream.status;
  response.body = std::move(upstream.body);
  if (auto content_type = upstream.headers.get("Content-Type")) {
    response.headers.set("Content-Type", *content_type);
  }
  if (auto location = upstream.headers.get("Location")) response.headers.set("Location", *location);
  // From an upstream that keeps its own Idempotency-Keys: the answer is a replay.
  if (auto replayed = upstream.headers.get("Idempotent-Replayed")) {
    response.headers.set("Idempotent-Replayed", *replayed);
  }
  return response;
}

}  // namespace gateway
