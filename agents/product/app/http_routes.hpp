#pragma once
// Product's API: /v1/products (behind the gateway, scoped by X-Merchant-Id) and
// /internal/skus/{sku} for other agents (the order agent prices lines with it).
#include "app/product_repository.hpp"

namespace commerce::http {
class Router;
}
namespace commerce::store {
class ConnectionPool;
}

namespace product {

class HttpRoutes {
 public:
  HttpRoutes(commerce::store::ConnectionPool& db, const ProductRepository& products)
      : db_(db), products_(products) {}
  void register_on(commerce::http::Router& router);

 private:
  commerce::store::ConnectionPool& db_;
  const ProductRepository& products_;
};

}  // namespace product
