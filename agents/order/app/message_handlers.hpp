#pragma once
// Thin message handlers: commands from orchestration (carrying the saga's history for the
// timeline) and product events feeding the price catalogue. They run inside the dispatcher's
// batch transaction.
#include <span>

#include "app/order_metrics.hpp"
#include "app/order_repository.hpp"
#include "app/price_catalogue.hpp"

namespace commerce::store {
class MessageContext;
}

namespace order {

class CommandHandlers {
 public:
  CommandHandlers(OrderRepository& orders, OrderMetrics& metrics)
      : orders_(orders), metrics_(metrics) {}
  // order.ConfirmOrder and order.CancelOrder of a consumed batch: the orders are locked in one
  // read, each command goes through the domain in order, and the settlements are one write.
  void on_batch(std::span<commerce::store::MessageContext> messages);

 private:
  OrderRepository& orders_;
  OrderMetrics& metrics_;
};

class CatalogueFeed {
 public:
  explicit CatalogueFeed(PriceCatalogueRepository& prices) : prices_(prices) {}
  void on_product(commerce::store::MessageContext& ctx);  // product.ProductCreated/Updated

 private:
  PriceCatalogueRepository& prices_;
};

}  // namespace order
