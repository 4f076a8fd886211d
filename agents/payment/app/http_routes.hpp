#pragma once
// Payment's /v1 API (behind the gateway, scoped by X-Merchant-Id): an order's authorization.
#include "app/authorization_repository.hpp"

namespace commerce::http {
class Router;
}
namespace commerce::store {
class ConnectionPool;
}

namespace payment {

class HttpRoutes {
 public:
  HttpRoutes(commerce::store::ConnectionPool& db, const AuthorizationRepository& authorizations)
      : db_(db), authorizations_(authorizations) {}
  void register_on(commerce::http::Router& router);

 private:
  commerce::store::ConnectionPool& db_;
  const AuthorizationRepository& authorizations_;
};

}  // namespace payment
