#include "app/order_placement.hpp"

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"
#include "domain/order_events.hpp"

namespace order {

struct OrderPlacement::Attempt {
  const std::string& order_id;
  const std::string& merchant_id;
  const PlaceOrderRequest& placing;
  const std::optional<IdempotencyKey>& idempotency;
  const std::string& traceparent;
  std::vector<std::string> skus;
};

OrderPlacement::OrderPlacement(commerce::store::ConnectionPool& db, OrderRepository& orders,
                               PriceCatalogueRepository& prices, PriceCache& price_cache,
                               ProductDirectory& products)
    : db_(db), orders_(orders), prices_(prices), price_cache_(price_cache), products_(products) {}

Placement OrderPlacement::place(const std::string& order_id, const std::string& merchant_id,
                                const PlaceOrderRequest& placing,
                                const std::optional<IdempotencyKey>& idempotency,
                                const std::string& traceparent) {
  Attempt a{order_id, merchant_id, placing, idempotency, traceparent, {}};
  for (const auto& line : placing.lines) a.skus.push_back(line.sku);
  std::vector<std::string> missing;
  auto placement = attempt(a, /*looked_up=*/false, missing);
  if (missing.empty()) return placement;
  // A miss asks the product agent, remembers the answer, and places again; a SKU it does not
  // know either is priced as unknown.
  std::vector<CatalogueEntry> learnt;
  for (const auto& sku : missing) {
    try {
      if (auto entry = products_.lookup(merchant_id, sku)) learnt.push_back(*entry);
    } catch (const ProductDirectoryUnavailable& e) {
      commerce::log::warn("product lookup failed", {{"sku", sku}, {"error", e.what()}});
      return {Placement::Outcome::unreachable, std::nullopt, std::nullopt};
    }
  }
  if (!learnt.empty()) {
    db_.transact([&](pqxx::work& tx) {
      for (const auto& entry : learnt) prices_.remember(tx, merchant_id, entry);
    });
  }
  std::vector<std::string> still_missing;  // priced as unknown this time
  return attempt(a, /*looked_up=*/true, still_missing);
}

Placement OrderPlacement::attempt(const Attempt& a, bool looked_up,
                                  std::vector<std::string>& missing) {
  // Prices from this process's memory when it holds every SKU (the placing statement checks
  // they still hold, so a single round trip places the order); read from product_prices
  // otherwise, and when a held price proved stale or did not price.
  constexpr int kAttempts = 3;
  for (int n = 0; n < kAttempts; ++n) {
    missing.clear();
    auto held = n == 0 ? price_cache_.find(a.merchant_id, a.skus) : std::nullopt;
    Catalogue catalogue;
    if (held) {
      catalogue = std::move(*held);
    } else {
      db_.autocommit(
          [&](pqxx::transaction_base& tx) { catalogue = prices_.find(tx, a.merchant_id, a.skus); });
      price_cache_.remember(a.merchant_id, catalogue);
    }
    for (const auto& sku : a.skus) {
      if (!catalogue.count(sku)) missing.push_back(sku);
    }
    if (!missing.empty() && !looked_up) return {};  // nothing written; the caller asks
    auto priced = price(a.placing.lines, catalogue);
    if (auto* error = std::get_if<PricingError>(&priced)) {
      if (held) continue;  // refused on what memory held: ask the catalogue itself
      return {Placement::Outcome::rejected, std::nullopt, *error};
    }
    const auto& priced_order = std::get<PricedOrder>(priced);
    const auto event = commerce::store::outbox_row(
        commerce::bus::topics::events("order"), a.order_id,
        commerce::bus::make_envelope("order.OrderPlaced", a.merchant_id,
                                     order_placed_payload(a.order_id, a.placing.customer_email,
                                                          priced_order, a.placing.card_token),
                                     nullptr, a.traceparent));
    OrderRepository::Inserted inserted;
    db_.autocommit([&](pqxx::transaction_base& tx) {
      inserted =
          orders_.insert(tx, a.order_id, a.merchant_id, a.placing.customer_email, priced_order,
                         catalogue, a.placing.card_token, a.idempotency, event);
    });
    if (inserted.stale_prices) {
      price_cache_.forget(a.merchant_id, a.skus);
      continue;
    }
    if (inserted.order) return {Placement::Outcome::placed, std::move(inserted.order), {}};
    // Placed before under this key: answer as that POST was answered; nothing new happens.
    Placement replay{Placement::Outcome::replayed, std::nullopt, std::nullopt};
    db_.read([&](pqxx::work& tx) {
      replay.order = orders_.find_by_idempotency_key(tx, a.merchant_id, a.idempotency->key);
    });
    return replay;
  }
  missing.clear();
  return {Placement::Outcome::contended, std::nullopt, std::nullopt};
}

}  // namespace order
