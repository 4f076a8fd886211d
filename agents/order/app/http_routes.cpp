#include "app/http_routes.hpp"

#include <nlohmann/json.hpp>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/topics.hpp"
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
                       PriceCatalogueRepository& prices, PriceCache& price_cache,
                       ProductDirectory& products, OrderMetrics& metrics)
    : db_(db),
      orders_(orders),
      prices_(prices),
      price_cache_(price_cache),
      products_(products),
      metrics_(metrics) {}

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

  // Prices come from our catalogue: from this process's memory when it holds every SKU (the
  // placing statement checks they still hold, so a single round trip places the order), read
  // from product_prices otherwise or when a held price proved stale or did not price. A miss asks
  // the product agent, remembers the answer, and places again; a SKU it does not know either is
  // priced as unknown.
  std::vector<std::string> skus;
  for (const auto& line : placing.lines) skus.push_back(line.sku);
  const auto order_id = commerce::core::uuid_v7();
  // The caller's Idempotency-Key (forwarded by the gateway, which leaves this route's keys to
  // us): claimed by the order's own insert, so a retried POST gets its first order, and the same
  // key with another body is refused.
  std::optional<IdempotencyKey> idempotency;
  if (auto key = request.headers.get("Idempotency-Key"); key && !key->empty()) {
    idempotency = IdempotencyKey{*key, commerce::core::sha256_hex(request.body)};
  }
  bool replayed = false;
  bool contended = false;  // prices changed under every attempt
  std::optional<OrderRecord> placed;
  std::optional<PricingError> rejected;
  std::vector<std::string> missing;
  auto place = [&](bool looked_up) {
    constexpr int kAttempts = 3;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      placed.reset();
      replayed = false;
      rejected.reset();
      missing.clear();
      auto held = attempt == 0 ? price_cache_.find(merchant_id, skus) : std::nullopt;
      Catalogue catalogue;
      if (held) {
        catalogue = std::move(*held);
      } else {
        db_.autocommit(
            [&](pqxx::transaction_base& tx) { catalogue = prices_.find(tx, merchant_id, skus); });
        price_cache_.remember(merchant_id, catalogue);
      }
      for (const auto& sku : skus) {
        if (!catalogue.count(sku)) missing.push_back(sku);
      }
      if (!missing.empty() && !looked_up) return;  // nothing written
      auto priced = price(placing.lines, catalogue);
      if (auto* error = std::get_if<PricingError>(&priced)) {
        if (held) continue;  // refused on what memory held: ask the catalogue itself
        rejected = *error;
        return;
      }
      const auto& priced_order = std::get<PricedOrder>(priced);
      const auto event = commerce::store::outbox_row(
          commerce::bus::topics::events("order"), order_id,
          commerce::bus::make_envelope("order.OrderPlaced", merchant_id,
                                       order_placed_payload(order_id, placing.customer_email,
                                                            priced_order, placing.card_token),
                                       nullptr, request.header("traceparent")));
      OrderRepository::Inserted inserted;
      db_.autocommit([&](pqxx::transaction_base& tx) {
        inserted = orders_.insert(tx, order_id, merchant_id, placing.customer_email, priced_order,
                                  catalogue, placing.card_token, idempotency, event);
      });
      if (inserted.stale_prices) {
        price_cache_.forget(merchant_id, skus);
        continue;
      }
      placed = std::move(inserted.order);
      if (!placed) {
        // Placed before under this key: answer as that POST was answered; nothing new happens.
        db_.read([&](pqxx::work& tx) {
          placed = orders_.find_by_idempotency_key(tx, merchant_id, idempotency->key);
        });
        replayed = true;
      }
      return;
    }
    contended = true;
  };
  place(false);
  if (!placed && !rejected && !replayed && !contended) {
    std::vector<CatalogueEntry> learnt;
    for (const auto& sku : missing) {
      try {
        if (auto entry = products_.lookup(merchant_id, sku)) learnt.push_back(*entry);
      } catch (const ProductDirectoryUnavailable& e) {
        commerce::log::warn("product lookup failed", {{"sku", sku}, {"error", e.what()}});
        return Response::error(503, "dependency_unavailable",
                               "the product catalogue cannot be reached; retry later");
      }
    }
    if (!learnt.empty()) {
      db_.transact([&](pqxx::work& tx) {
        for (const auto& entry : learnt) prices_.remember(tx, merchant_id, entry);
      });
    }
    place(true);
  }
  if (contended) {
    return Response::error(503, "retry", "the catalogue changed while placing the order; retry");
  }
  if (rejected) {
    auto error = nlohmann::json{
        {"error",
         {{"code", rejected->code}, {"message", rejected->message}, {"field", rejected->field}}}};
    return Response::json(422, error);
  }
  if (replayed) {
    if (!placed) {
      return Response::error(503, "retry", "the order for this Idempotency-Key is settling");
    }
    if (placed->request_hash && *placed->request_hash != idempotency->request_hash) {
      return Response::error(409, "idempotency_key_reused",
                             "Idempotency-Key was used before with another request");
    }
    commerce::log::info("order placed before under this idempotency key",
                        {{"order_id", placed->id}, {"merchant_id", merchant_id}});
    auto replay = Response::json(201, order_json(as_placed(*placed), true));
    replay.headers.set("Idempotent-Replayed", "true");
    return replay;
  }
  metrics_.placed();  // after the commit: an order counts once it exists
  commerce::log::info("order placed", {{"order_id", order_id}, {"merchant_id", merchant_id}});
  return Response::json(201, order_json(*placed, true));
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
