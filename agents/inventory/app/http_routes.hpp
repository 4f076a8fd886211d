#pragma once
// Inventory's /v1 API (behind the gateway, scoped by X-Merchant-Id): set, adjust and read stock.
#include "app/stock_repository.hpp"

namespace commerce::http {
class Router;
}
namespace commerce::store {
class ConnectionPool;
}

namespace inventory {

class HttpRoutes {
 public:
  HttpRoutes(commerce::store::ConnectionPool& db, const StockRepository& stock)
      : db_(db), stock_(stock) {}
  void register_on(commerce::http::Router& router);

 private:
  commerce::store::ConnectionPool& db_;
  const StockRepository& stock_;
};

}  // namespace inventory
