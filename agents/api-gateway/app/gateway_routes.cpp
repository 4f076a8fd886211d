#include "app/gateway_routes.hpp"

#include <nlohmann/json.hpp>

#include "commerce/core/ids.hpp"
#include "commerce/core/traceparent.hpp"
#include "commerce/log/log.hpp"
#include "domain/idempotency.hpp"
#include "domain/request_identity.hpp"

namespace gateway {

using commerce::http::Request;
using commerce::http::Response;

GatewayRoutes::GatewayRoutes(ApiKeyDirectory& keys, IdempotencyStore& idempotency,
                             UpstreamProxy& proxy, commerce::metrics::Registry& metrics)
    : keys_(keys),
      idempotency_(idempotency),
      proxy_(proxy),
      auth_failures_(metrics
                         .counter("gateway_auth_failures_total",
                                  "Requests refused for a missing, unknown or revoked API key")
                         .with({})) {}

void GatewayRoutes::register_on(commerce::http::Router& router) {
  for (const auto& route : route_table()) {
    const RouteSpec* spec = &route;
    router.add(route.method, route.pattern,
               [this, spec](const Request& request) { return handle(request, *spec); });
  }
}

Response GatewayRoutes::handle(const Request& request, const RouteSpec& route) {
  ForwardContext context;
  context.request_id =
      accepted_request_id(request.header("X-Request-Id")).value_or(commerce::core::uuid_v7());
  context.traceparent = accepted_traceparent(request.header("traceparent"))
                            .value_or(commerce::core::TraceParent::fresh().to_string());
  Response response;
  try {
    response = authenticated(request, route, context);
  } catch (const std::exception& e) {
    // The gateway's own database is unreachable or busy: nothing was forwarded.
    commerce::log::error("gateway request failed",
                         {{"error", e.what()}, {"request_id", context.request_id}});
    response = Response::error(503, "unavailable", "the gateway cannot serve this request now");
  }
  response.headers.set("X-Request-Id", context.request_id);
  // One line per request: the start of every trace a merchant may quote.
  commerce::log::info("request", {{"method", request.method},
                                  {"route", route.pattern},
                                  {"upstream", route.upstream},
                                  {"status", std::to_string(response.status)},
                                  {"request_id", context.request_id}});
  return response;
}

Response GatewayRoutes::authenticated(const Request& request, const RouteSpec& route,
                                      ForwardContext& context) {
  std::string scope;
  if (route.access == Access::api_key) {
    const auto key =
        presented_api_key(request.header("Authorization"), request.header("X-Api-Key"));
    if (!key) {
      auth_failures_.inc();
      return Response::error(401, "unauthenticated",
                             "an API key is required (Authorization: Bearer <key> or X-Api-Key)");
    }
    const auto principal = keys_.authenticate(commerce::core::sha256_hex(*key));
    if (!principal) {
      auth_failures_.inc();
      return Response::error(401, "unauthenticated", "unknown or revoked API key");
    }
    context.merchant_id = principal->merchant_id;
    scope = principal->merchant_id;
  } else {
    context.authorization = request.header("Authorization");
    scope = operator_scope(context.authorization);
  }

  if (carries_json_body(request.method) && !request.body.empty()) {
    nlohmann::json ignored;
    if (auto invalid = commerce::http::parse_json(request, ignored)) return *invalid;
  }

  if (request.method == "POST" && request.headers.get("Idempotency-Key")) {
    return with_idempotency(request, route, context, scope);
  }
  return proxy_.forward(request, route, context);
}

Response GatewayRoutes::with_idempotency(const Request& request, const RouteSpec& route,
                                         const ForwardContext& context, const std::string& scope) {
  const std::string key = *request.headers.get("Idempotency-Key");
  if (auto problem = validate_idempotency_key(key)) {
    return Response::error(400, "invalid_idempotency_key", *problem);
  }
  if (route.upstream_keeps_idempotency) return proxy_.forward(request, route, context);
  const std::string hash = request_hash(request.method, request.target, request.body);
  const auto existing = idempotency_.claim(scope, key, hash);
  switch (decide(existing, hash)) {
    case IdempotencyAction::reject_reused:
      return Response::error(409, "idempotency_key_reused",
                             "Idempotency-Key was used before with another request");
    case IdempotencyAction::reject_in_progress:
      return Response::error(409, "idempotency_key_in_progress",
                             "a request with this Idempotency-Key is still in progress");
    case IdempotencyAction::replay: {
      Response replay;
      replay.status = existing->status;
      replay.body = existing->body;
      if (!existing->content_type.empty()) {
        replay.headers.set("Content-Type", existing->content_type);
      }
      replay.headers.set("Idempotent-Replayed", "true");
      return replay;
    }
    case IdempotencyAction::forward:
      break;
  }

  Response response;
  try {
    response = proxy_.forward(request, route, context);
  } catch (...) {
    idempotency_.release(scope, key, hash);
    throw;
  }
  if (should_store(response.status)) {
    idempotency_.complete(scope, key, hash, response.status, response.body,
                          response.headers.get("Content-Type").value_or(""));
  } else {
    idempotency_.release(scope, key, hash);
  }
  return response;
}

}  // namespace gateway
