#pragma once
// The public /v1 API: authenticate, check, apply Idempotency-Key, forward.
#include "app/api_key_directory.hpp"
#include "app/idempotency_store.hpp"
#include "app/upstream_proxy.hpp"
#include "commerce/http/http.hpp"
#include "commerce/metrics/registry.hpp"
#include "domain/route_table.hpp"

namespace gateway {

class GatewayRoutes {
 public:
  GatewayRoutes(ApiKeyDirectory& keys, IdempotencyStore& idempotency, UpstreamProxy& proxy,
                commerce::metrics::Registry& metrics);

  // Registers every route of route_table(); the Router answers unknown paths 404 and known
  // paths with another method 405.
  void register_on(commerce::http::Router& router);

  commerce::http::Response handle(const commerce::http::Request& request, const RouteSpec& route);

 private:
  commerce::http::Response authenticated(const commerce::http::Request& request,
                                         const RouteSpec& route, ForwardContext& context);
  commerce::http::Response with_idempotency(const commerce::http::Request& request,
                                            const RouteSpec& route, const ForwardContext& context,
                                            const std::string& scope);

  ApiKeyDirectory& keys_;
  IdempotencyStore& idempotency_;
  UpstreamProxy& proxy_;
  commerce::metrics::Counter& auth_failures_;
};

}  // namespace gateway
