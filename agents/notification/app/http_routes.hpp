#pragma once
// GET /v1/notifications?order_id=: what this merchant's customers were told.
#include "app/notification_repository.hpp"
#include "commerce/http/http.hpp"
#include "commerce/store/store.hpp"

namespace notification {

class HttpRoutes {
 public:
  HttpRoutes(commerce::store::ConnectionPool& db, NotificationRepository& notifications);
  void register_on(commerce::http::Router& router);
  commerce::http::Response list(const commerce::http::Request& request);

 private:
  commerce::store::ConnectionPool& db_;
  NotificationRepository& notifications_;
};

}  // namespace notification
