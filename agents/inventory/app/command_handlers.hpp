#pragma once
// Thin handlers for inventory's commands: read the order's reservation and the stock rows under
// lock, ask the domain, write the result, emit the events. All inside the dispatcher's
// transaction (ctx.tx()), so the inbox, the effect and the outbox commit together.
#include "app/inventory_metrics.hpp"
#include "app/stock_repository.hpp"

namespace commerce::store {
class MessageContext;
}

namespace inventory {

class CommandHandlers {
 public:
  CommandHandlers(const StockRepository& stock, InventoryMetrics& metrics)
      : stock_(stock), metrics_(metrics) {}

  void reserve(commerce::store::MessageContext& ctx);
  void release(commerce::store::MessageContext& ctx);

 private:
  const StockRepository& stock_;
  InventoryMetrics& metrics_;
};

}  // namespace inventory
