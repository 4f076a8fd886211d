#pragma once
// The order agent's /v1 API (behind the api-gateway, which sets X-Merchant-Id).
#include <string>

#include "app/order_metrics.hpp"
#include "app/order_placement.hpp"
#include "app/order_repository.hpp"

namespace commerce::http {
class Router;
struct Request;
struct Response;
}  // namespace commerce::http
namespace commerce::store {
class ConnectionPool;
}

namespace order {

class HttpRoutes {
 public:
  HttpRoutes(commerce::store::ConnectionPool& db, OrderRepository& orders,
             OrderPlacement& placement, OrderMetrics& metrics);
  void register_on(commerce::http::Router& router);

  commerce::http::Response place_order(const commerce::http::Request& request);
  commerce::http::Response get_order(const commerce::http::Request& request);
  commerce::http::Response list_orders(const commerce::http::Request& request);

 private:
  commerce::store::ConnectionPool& db_;
  OrderRepository& orders_;
  OrderPlacement& placement_;
  OrderMetrics& metrics_;
};

// JSON views of an order (exposed for tests).
nlohmann::json order_json(const OrderRecord& order, bool with_details);

}  // namespace order
