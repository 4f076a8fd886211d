#include "app/http_routes.hpp"

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/http/http.hpp"
#include "commerce/store/store.hpp"
#include "domain/messages.hpp"

namespace inventory {

using commerce::http::Request;
using commerce::http::Response;
using nlohmann::json;

namespace {

Response validation_failed(const std::string& message) {
  return Response::error(422, "validation_failed", message);
}

// An integer within int64 (floats, strings and huge numbers are not).
std::optional<std::int64_t> as_integer(const json& j) {
  if (j.is_number_unsigned()) {
    const auto u = j.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
    return static_cast<std::int64_t>(u);
  }
  if (j.is_number_integer()) return j.get<std::int64_t>();
  return std::nullopt;
}

std::optional<Response> check_fields(const json& body, std::initializer_list<const char*> known) {
  if (!body.is_object()) return validation_failed("body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    for (const char* k : known) ok = ok || key == k;
    if (!ok) return validation_failed(key + ": unknown field");
  }
  return std::nullopt;
}

std::optional<Response> read_location(const json& body, std::string& location) {
  location = kDefaultLocation;
  if (!body.contains("location")) return std::nullopt;
  if (!body["location"].is_string() || !is_valid_location(body["location"].get<std::string>())) {
    return validation_failed("location: 1-64 characters of [A-Za-z0-9._-]");
  }
  location = body["location"].get<std::string>();
  return std::nullopt;
}

struct Scope {
  std::string merchant;
  std::string sku;
};

// Merchant header and SKU path parameter, or the error response.
std::optional<Response> scope_of(const Request& request, Scope& scope) {
  scope.merchant = request.header("X-Merchant-Id");
  if (scope.merchant.empty()) {
    return Response::error(401, "unauthenticated", "X-Merchant-Id is required");
  }
  auto it = request.params.find("sku");
  scope.sku = it == request.params.end() ? "" : it->second;
  if (!is_valid_sku(scope.sku)) return validation_failed("sku: 1-64 characters of [A-Za-z0-9._-]");
  return std::nullopt;
}

}  // namespace

void HttpRoutes::register_on(commerce::http::Router& router) {
  // Applies one change to one level and answers with the SKU's whole view.
  auto change_stock =
      [this](const Request& request, const Scope& scope, const std::string& location,
             const std::string& reason,
             const std::function<StockChangeResult(const std::optional<StockLevel>&)>& decide)
      -> Response {
    std::optional<Response> refused;
    json view;
    db_.transact([&](pqxx::work& tx) {
      refused.reset();
      const auto current = stock_.lock_level(tx, scope.merchant, scope.sku, location);
      const auto result = decide(current);
      if (result.error) {
        refused = Response::error(422, result.error->code, result.error->message);
        return;
      }
      stock_.apply(tx, scope.merchant, *result.change, reason, std::nullopt);
      commerce::store::append_outbox(
          tx, commerce::bus::topics::events("inventory"), scope.sku,
          commerce::bus::make_envelope(messages::kStockLevelChanged, scope.merchant,
                                       messages::stock_level_changed(result.change->after), nullptr,
                                       request.header("traceparent")));
      view = messages::stock_view(scope.sku, stock_.levels(tx, scope.merchant, scope.sku));
    });
    if (refused) return *refused;
    return Response::json(200, view);
  };

  router.add("PUT", "/v1/stock/{sku}", [change_stock](const Request& request) {
    Scope scope;
    if (auto e = scope_of(request, scope)) return *e;
    json body;
    if (auto e = commerce::http::parse_json(request, body)) return *e;
    if (auto e = check_fields(body, {"on_hand", "location"})) return *e;
    if (!body.contains("on_hand")) return validation_failed("on_hand: required");
    const auto on_hand = as_integer(body["on_hand"]);
    if (!on_hand || *on_hand < 0 || *on_hand > kMaxQuantity) {
      return validation_failed("on_hand: an integer 0.." + std::to_string(kMaxQuantity));
    }
    std::string location;
    if (auto e = read_location(body, location)) return *e;
    return change_stock(request, scope, location, "stock_set",
                        [&](const std::optional<StockLevel>& current) {
                          return set_on_hand(current, scope.sku, location, *on_hand);
                        });
  });

  router.add("POST", "/v1/stock/{sku}/adjustments", [change_stock](const Request& request) {
    Scope scope;
    if (auto e = scope_of(request, scope)) return *e;
    json body;
    if (auto e = commerce::http::parse_json(request, body)) return *e;
    if (auto e = check_fields(body, {"delta", "reason", "location"})) return *e;
    if (!body.contains("delta")) return validation_failed("delta: required");
    const auto delta = as_integer(body["delta"]);
    if (!delta || *delta == 0 || *delta > kMaxQuantity || *delta < -kMaxQuantity) {
      return validation_failed("delta: a non-zero integer within +/-" +
                               std::to_string(kMaxQuantity));
    }
    if (!body.contains("reason") || !body["reason"].is_string() ||
        body["reason"].get<std::string>().empty() ||
        body["reason"].get<std::string>().size() > 200) {
      return validation_failed("reason: a string of 1-200 characters");
    }
    std::string location;
    if (auto e = read_location(body, location)) return *e;
    return change_stock(request, scope, location,
                        "adjustment: " + body["reason"].get<std::string>(),
                        [&](const std::optional<StockLevel>& current) {
                          return adjust_on_hand(current, scope.sku, location, *delta);
                        });
  });

  router.add("GET", "/v1/stock/{sku}", [this](const Request& request) {
    Scope scope;
    if (auto e = scope_of(request, scope)) return *e;
    std::vector<StockLevel> levels;
    db_.read([&](pqxx::work& tx) { levels = stock_.levels(tx, scope.merchant, scope.sku); });
    if (levels.empty()) return Response::error(404, "not_found", "no stock for SKU " + scope.sku);
    return Response::json(200, messages::stock_view(scope.sku, levels));
  });
}

}  // namespace inventory
