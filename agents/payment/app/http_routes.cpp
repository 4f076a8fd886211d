#include "app/http_routes.hpp"

#include <nlohmann/json.hpp>

#include "commerce/http/http.hpp"
#include "commerce/store/store.hpp"

namespace payment {

using commerce::http::Request;
using commerce::http::Response;

void HttpRoutes::register_on(commerce::http::Router& router) {
  router.add("GET", "/v1/payments/{order_id}", [this](const Request& request) {
    const auto merchant = request.header("X-Merchant-Id");
    if (merchant.empty())
      return Response::error(401, "unauthenticated", "X-Merchant-Id is required");
    const auto& order_id = request.params.at("order_id");
    if (order_id.empty() || order_id.size() > 64) {
      return Response::error(404, "not_found", "no payment for order " + order_id);
    }
    std::optional<nlohmann::json> view;
    db_.read([&](pqxx::work& tx) { view = authorizations_.view(tx, merchant, order_id); });
    if (!view) return Response::error(404, "not_found", "no payment for order " + order_id);
    return Response::json(200, *view);
  });
}

}  // namespace payment
