#pragma once
// Placing an order: prices from the catalogue (this process's memory, product_prices, or the
// product agent on a miss), then the placing statement. The HTTP route turns the outcome into
// its answer.
#include <optional>
#include <string>

#include "app/order_repository.hpp"
#include "app/price_catalogue.hpp"
#include "domain/place_order.hpp"
#include "domain/pricing.hpp"

namespace commerce::store {
class ConnectionPool;
}

namespace order {

struct Placement {
  enum class Outcome {
    placed,      // `order` is the new order
    replayed,    // placed before under this idempotency key: `order` is that one (nullopt while
                 // it is settling)
    rejected,    // the catalogue cannot price it: `refusal`
    contended,   // prices changed under every attempt: nothing placed, retry
    unreachable  // a SKU we do not know, and the product agent could not be asked
  };
  Outcome outcome = Outcome::placed;
  std::optional<OrderRecord> order;
  std::optional<PricingError> refusal;
};

class OrderPlacement {
 public:
  OrderPlacement(commerce::store::ConnectionPool& db, OrderRepository& orders,
                 PriceCatalogueRepository& prices, PriceCache& price_cache,
                 ProductDirectory& products);

  Placement place(const std::string& order_id, const std::string& merchant_id,
                  const PlaceOrderRequest& placing,
                  const std::optional<IdempotencyKey>& idempotency, const std::string& traceparent);

 private:
  struct Attempt;
  // Prices and inserts, up to three times while held prices prove stale. `looked_up`: the
  // product agent was asked about the SKUs missing before; until then a miss writes nothing.
  Placement attempt(const Attempt& a, bool looked_up, std::vector<std::string>& missing);

  commerce::store::ConnectionPool& db_;
  OrderRepository& orders_;
  PriceCatalogueRepository& prices_;
  PriceCache& price_cache_;
  ProductDirectory& products_;
};

}  // namespace order
