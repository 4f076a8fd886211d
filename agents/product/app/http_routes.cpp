#include "app/http_routes.hpp"

#include <nlohmann/json.hpp>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/store/store.hpp"

namespace product {

using commerce::http::Request;
using commerce::http::Response;
using nlohmann::json;

namespace {

Response invalid(const FieldError& e) {
  return Response::error(422, "validation_failed", e.field + ": " + e.message);
}

Response not_found(const std::string& what) {
  return Response::error(404, "not_found", what + " not found");
}

std::optional<Response> merchant_of(const Request& request, std::string& merchant) {
  merchant = request.header("X-Merchant-Id");
  if (merchant.empty()) return Response::error(401, "unauthenticated", "X-Merchant-Id is required");
  return std::nullopt;
}

// Emits the product's event through the outbox, keyed by SKU so a SKU's events stay in order.
void emit(pqxx::work& tx, const Request& request, const std::string& merchant, const char* type,
          const Product& p) {
  commerce::store::append_outbox(
      tx, commerce::bus::topics::events("product"), p.sku,
      commerce::bus::make_envelope(type, merchant, event_payload(p), nullptr,
                                   request.header("traceparent")));
}

}  // namespace

void HttpRoutes::register_on(commerce::http::Router& router) {
  router.add("POST", "/v1/products", [this](const Request& request) {
    std::string merchant;
    if (auto e = merchant_of(request, merchant)) return *e;
    json body;
    if (auto e = commerce::http::parse_json(request, body)) return *e;
    auto parsed = parse_new_product(body);
    if (auto* e = std::get_if<FieldError>(&parsed)) return invalid(*e);
    const auto& draft = std::get<NewProduct>(parsed);
    std::optional<Product> created;
    db_.transact([&](pqxx::work& tx) {
      created = products_.insert(tx, merchant, commerce::core::uuid_v7(), draft);
      if (created) emit(tx, request, merchant, kProductCreated, *created);
    });
    if (!created) {
      return Response::error(409, "sku_taken", "sku: " + draft.sku + " is already taken");
    }
    return Response::json(201, to_json(*created));
  });

  router.add("GET", "/v1/products/{id}", [this](const Request& request) {
    std::string merchant;
    if (auto e = merchant_of(request, merchant)) return *e;
    const auto& id = request.params.at("id");
    if (!is_uuid(id)) return not_found("product " + id);
    std::optional<Product> found;
    db_.read([&](pqxx::work& tx) { found = products_.find(tx, merchant, id); });
    if (!found) return not_found("product " + id);
    return Response::json(200, to_json(*found));
  });

  router.add("GET", "/v1/products", [this](const Request& request) {
    std::string merchant;
    if (auto e = merchant_of(request, merchant)) return *e;
    std::optional<std::string> limit_param;
    if (auto it = request.query.find("limit"); it != request.query.end()) limit_param = it->second;
    auto limit = parse_limit(limit_param);
    if (auto* e = std::get_if<FieldError>(&limit)) return invalid(*e);
    std::optional<std::string> after;
    if (auto it = request.query.find("cursor"); it != request.query.end() && !it->second.empty()) {
      after = decode_cursor(it->second);
      if (!after) return invalid({"cursor", "is not a cursor this API issued"});
    }
    const int page = std::get<int>(limit);
    std::vector<Product> rows;
    db_.read([&](pqxx::work& tx) { rows = products_.list(tx, merchant, after, page + 1); });
    json next = nullptr;
    if (static_cast<int>(rows.size()) > page) {
      rows.resize(page);
      next = encode_cursor(rows.back().id);
    }
    json items = json::array();
    for (const auto& p : rows) items.push_back(to_json(p));
    return Response::json(200, {{"items", items}, {"next_cursor", next}});
  });

  router.add("PATCH", "/v1/products/{id}", [this](const Request& request) {
    std::string merchant;
    if (auto e = merchant_of(request, merchant)) return *e;
    const auto& id = request.params.at("id");
    if (!is_uuid(id)) return not_found("product " + id);
    json body;
    if (auto e = commerce::http::parse_json(request, body)) return *e;
    auto parsed = parse_patch(body);
    if (auto* e = std::get_if<FieldError>(&parsed)) return invalid(*e);
    std::optional<Product> result;
    db_.transact([&](pqxx::work& tx) {
      result.reset();
      const auto current = products_.find(tx, merchant, id, true);
      if (!current) return;
      const auto outcome = apply_patch(*current, std::get<ProductPatch>(parsed));
      if (!outcome.changed) {
        result = current;
        return;
      }
      result = products_.update(tx, merchant, outcome.after);
      emit(tx, request, merchant, kProductUpdated, *result);
    });
    if (!result) return not_found("product " + id);
    return Response::json(200, to_json(*result));
  });

  router.add("GET", "/internal/skus/{sku}", [this](const Request& request) {
    std::string merchant;
    if (auto e = merchant_of(request, merchant)) return *e;
    const auto& sku = request.params.at("sku");
    if (!is_valid_sku(sku)) return not_found("sku " + sku);
    std::optional<Product> found;
    db_.read([&](pqxx::work& tx) { found = products_.find_by_sku(tx, merchant, sku); });
    if (!found) return not_found("sku " + sku);
    return Response::json(200, to_json(*found));
  });
}

}  // namespace product
