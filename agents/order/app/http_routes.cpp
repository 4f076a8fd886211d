#include "app/http_routes.hpp"

#include <nlohmann/json.hpp>

#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"
#include "domain/order_events.hpp"
#include "domain/place_order.hpp"

namespace order {

using commerce::http::Request;
using commerce::http::Response;

namespace {

constexpr std::size_t kDefaultPageSize = 20;
constexpr std::size_t kMaxPageSize = 100;

Response validation_failed(const std::string& field, const std::string& message) {
  auto body = nlohmann::json{
      {"error", {{"code", "validation_failed"}, {"message", message}, {"field", field}}}};
  return Response::json(422, body);
}

}  // namespace

nlohmann::json order_json(const OrderRecord& o, bool with_details) {
  auto optional_text = [](const std::optional<std::string>& v) -> nlohmann::json {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  nlohmann::json out = {{"id", o.id},
                        {"status", to_string(o.status)},
                        {"customer", {{"email", o.customer_email}}},
                        {"total", money_json(o.total)},
                        {"created_at", o.placed_at},
                        {"confirmed_at", optional_text(o.confirmed_at)},
                        {"cancelled_at", optional_text(o.cancelled_at)},
                        {"cancel_reason", optional_text(o.cancel_reason)}};
  if (with_details) {
    auto lines = nlohmann::json::array();
    for (const auto& l : o.lines) {
      lines.push_back({{"sku", l.sku},
                       {"title", l.title},
                       {"quantity", l.quantity},
                       {"unit_price", money_json(l.unit_price)},
                       {"line_total", money_json(l.line_total)}});
    }
    auto timeline = nlohmann::json::array();
    for (const auto& t : o.timeline) {
      timeline.push_back({{"at", t.at}, {"event", t.event}, {"detail", t.detail}});
    }
    out["lines"] = lines;
    out["timeline"] = timeline;
  }
  return out;
}

HttpRoutes::HttpRoutes(commerce::store::ConnectionPool& db, OrderRepository& orders,
                       OrderPlacement& placement, OrderMetrics& metrics)
    : db_(db), orders_(orders), placement_(placement), metrics_(metrics) {}

void HttpRoutes::register_on(commerce::http::Router& router) {
  router.add("POST", "/v1/orders", [this](const Request& r) { return place_order(r); });
  router.add("GET", "/v1/orders", [this](const Request& r) { return list_orders(r); });
  router.add("GET", "/v1/orders/{id}", [this](const Request& r) { return get_order(r); });
}

Response HttpRoutes::place_order(const Request& request) {
  const auto merchant_id = request.header("X-Merchant-Id");
  if (merchant_id.empty()) return Response::error(401, "unauthenticated", "X-Merchant-Id missing");

  nlohmann::json body;
  if (auto error = commerce::http::parse_json(request, body)) return *error;
  auto parsed = parse_place_order(body);
  if (auto* invalid = std::get_if<ValidationError>(&parsed)) {
    return validation_failed(invalid->field, invalid->message);
  }
  const auto& placing = std::get<PlaceOrderRequest>(parsed);

  const auto order_id = commerce::core::uuid_v7();
  // The caller's Idempotency-Key (forwarded by the gateway, which leaves this route's keys to
  // us): claimed by the order's own insert, so a retried POST gets its first order, and the same
  // key with another body is refused.
  std::optional<IdempotencyKey> idempotency;
  if (auto key = request.headers.get("Idempotency-Key"); key && !key->empty()) {
    idempotency = IdempotencyKey{*key, commerce::core::sha256_hex(request.body)};
  }
  auto placement =
      placement_.place(order_id, merchant_id, placing, idempotency, request.header("traceparent"));
  using Outcome = Placement::Outcome;
  switch (placement.outcome) {
    case Outcome::unreachable:
      return Response::error(503, "dependency_unavailable",
                             "the product catalogue cannot be reached; retry later");
    case Outcome::contended:
      return Response::error(503, "retry", "the catalogue changed while placing the order; retry");
    case Outcome::rejected: {
      const auto& refusal = *placement.refusal;
      auto error = nlohmann::json{
          {"error",
           {{"code", refusal.code}, {"message", refusal.message}, {"field", refusal.field}}}};
      return Response::json(422, error);
    }
    case Outcome::replayed: {
      const auto& first = placement.order;
      if (!first) {
        return Response::error(503, "retry", "the order for this Idempotency-Key is settling");
      }
      if (first->request_hash && *first->request_hash != idempotency->request_hash) {
        return Response::error(409, "idempotency_key_reused",
                               "Idempotency-Key was used before with another request");
      }
      commerce::log::info("order placed before under this idempotency key",
                          {{"order_id", first->id}, {"merchant_id", merchant_id}});
      auto replay = Response::json(201, order_json(as_placed(*first), true));
      replay.headers.set("Idempotent-Replayed", "true");
      return replay;
    }
    case Outcome::placed:
      break;
  }
  metrics_.placed();  // after the commit: an order counts once it exists
  commerce::log::info("order placed", {{"order_id", order_id}, {"merchant_id", merchant_id}});
  return Response::json(201, order_json(*placement.order, true));
}

Response HttpRoutes::get_order(const Request& request) {
  const auto merchant_id = request.header("X-Merchant-Id");
  if (merchant_id.empty()) return Response::error(401, "unauthenticated", "X-Merchant-Id missing");
  const auto id = request.params.at("id");
  if (!commerce::core::is_uuid(id)) return Response::error(404, "not_found", "no order " + id);
  std::optional<OrderRecord> found;
  db_.read([&](pqxx::work& tx) { found = orders_.find(tx, merchant_id, id); });
  if (!found) return Response::error(404, "not_found", "no order " + id);
  return Response::json(200, order_json(*found, true));
}

Response HttpRoutes::list_orders(const Request& request) {
  const auto merchant_id = request.header("X-Merchant-Id");
  if (merchant_id.empty()) return Response::error(401, "unauthenticated", "X-Merchant-Id missing");
  std::size_t limit = kDefaultPageSize;
  if (auto it = request.query.find("limit"); it != request.query.end()) {
    const auto& text = it->second;
    if (text.empty() || text.size() > 3 ||
        text.find_first_not_of("0123456789") != std::string::npos || std::stoul(text) < 1 ||
        std::stoul(text) > kMaxPageSize) {
      return validation_failed(
          "limit", "limit must be an integer from 1 to " + std::to_string(kMaxPageSize));
    }
    limit = std::stoul(text);
  }
  std::optional<std::string> cursor;
  if (auto it = request.query.find("cursor"); it != request.query.end() && !it->second.empty()) {
    if (!commerce::core::is_uuid(it->second))
      return validation_failed("cursor", "cursor is not one we gave out");
    cursor = it->second;
  }
  std::optional<OrderStatus> status;
  if (auto it = request.query.find("status"); it != request.query.end() && !it->second.empty()) {
    status = parse_status(it->second);
    if (!status) {
      return validation_failed("status", "status must be pending, confirmed or cancelled");
    }
  }
  OrderPage page;
  db_.read([&](pqxx::work& tx) { page = orders_.list(tx, merchant_id, limit, cursor, status); });
  auto items = nlohmann::json::array();
  for (const auto& o : page.orders) items.push_back(order_json(o, false));
  return Response::json(200, {{"orders", items},
                              {"next_cursor", page.next_cursor ? nlohmann::json(*page.next_cursor)
                                                               : nlohmann::json(nullptr)}});
}

}  // namespace order
