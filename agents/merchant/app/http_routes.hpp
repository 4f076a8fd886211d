#pragma once
// The merchant agent's API: operator routes (bootstrap token) and the merchant's own view.
#include <string>

#include "app/merchant_repository.hpp"
#include "commerce/http/http.hpp"
#include "commerce/store/store.hpp"

namespace merchant {

class HttpRoutes {
 public:
  HttpRoutes(commerce::store::ConnectionPool& db, MerchantRepository& merchants,
             std::string operator_token);
  void register_on(commerce::http::Router& router);

  commerce::http::Response create_merchant(const commerce::http::Request& request);
  commerce::http::Response create_api_key(const commerce::http::Request& request);
  commerce::http::Response revoke_api_key(const commerce::http::Request& request);
  commerce::http::Response me(const commerce::http::Request& request);

 private:
  bool authorized_operator(const commerce::http::Request& request) const;

  commerce::store::ConnectionPool& db_;
  MerchantRepository& merchants_;
  std::string operator_token_;
};

}  // namespace merchant
