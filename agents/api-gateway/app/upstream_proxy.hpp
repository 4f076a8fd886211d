#pragma once
// Forwards a public request to the agent that owns it and maps transport failures to 503/504.
#include <map>
#include <string>

#include "commerce/http/http.hpp"
#include "commerce/metrics/registry.hpp"
#include "domain/route_table.hpp"

namespace gateway {

// What the gateway adds to (or passes through on) the forwarded request.
struct ForwardContext {
  std::string merchant_id;    // API-key routes: the authenticated tenant
  std::string authorization;  // operator routes: passed through for the merchant agent to check
  std::string request_id;
  std::string traceparent;
};

class UpstreamProxy {
 public:
  // `base_urls`: upstream agent name -> "http://host:port".
  UpstreamProxy(commerce::http::Client& client, std::map<std::string, std::string> base_urls,
                commerce::metrics::Registry& metrics);

  commerce::http::Response forward(const commerce::http::Request& request, const RouteSpec& route,
                                   const ForwardContext& context);

 private:
  commerce::http::Client& client_;
  std::map<std::string, std::string> base_urls_;
  commerce::metrics::Family<commerce::metrics::Histogram>& duration_;
};

// Whether a transport error message means the upstream did not answer in time.
bool is_timeout_error(const std::string& what);

}  // namespace gateway
