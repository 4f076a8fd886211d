#include "app/http_routes.hpp"

#include <nlohmann/json.hpp>

namespace notification {

using commerce::http::Request;
using commerce::http::Response;

HttpRoutes::HttpRoutes(commerce::store::ConnectionPool& db, NotificationRepository& notifications)
    : db_(db), notifications_(notifications) {}

void HttpRoutes::register_on(commerce::http::Router& router) {
  router.add("GET", "/v1/notifications", [this](const Request& r) { return list(r); });
}

Response HttpRoutes::list(const Request& request) {
  const std::string merchant_id = request.header("X-Merchant-Id");
  if (merchant_id.empty()) {
    return Response::error(401, "unauthenticated", "X-Merchant-Id is required");
  }
  std::optional<std::string> order_id;
  if (const auto it = request.query.find("order_id"); it != request.query.end()) {
    order_id = it->second;
  }
  std::vector<NotificationRow> rows;
  db_.read([&](pqxx::work& tx) { rows = notifications_.list(tx, merchant_id, order_id); });
  nlohmann::json items = nlohmann::json::array();
  for (const auto& row : rows) {
    items.push_back({{"order_id", row.order_id},
                     {"kind", row.kind},
                     {"channel", row.channel},
                     {"recipient", row.recipient},
                     {"sent_at", row.sent_at}});
  }
  return Response::json(200, {{"notifications", items}});
}

}  // namespace notification
