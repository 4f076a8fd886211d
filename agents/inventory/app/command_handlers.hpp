#pragma once
// Thin handlers for inventory's commands: read the order's reservation and the stock rows under
// lock, ask the domain, write the result, emit the events. All inside the dispatcher's
// transaction (ctx.tx()), so the inbox, the effect and the outbox commit together.
#include <span>

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

  // ReserveStock and ReleaseStock of one consumed batch, in order, in the batch's transaction.
  void on_batch(std::span<commerce::store::MessageContext> batch);
  void release(commerce::store::MessageContext& ctx);

 private:
  // Consecutive ReserveStock: one claim, one locked read and one write for all of them.
  void reserve_all(std::span<commerce::store::MessageContext> run);

  const StockRepository& stock_;
  InventoryMetrics& metrics_;
};

}  // namespace inventory
