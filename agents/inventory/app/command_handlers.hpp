#pragma once
// Thin handlers for inventory's commands: read the order's reservation and the stock rows under
// lock, ask the domain, write the result, emit the events. All inside the dispatcher's
// transaction (ctx.tx()), so the inbox, the effect and the outbox commit together.
#include "app/stock_repository.hpp"

namespace commerce::store {
class MessageContext;
}

namespace inventory {

class CommandHandlers {
 public:
  explicit CommandHandlers(const StockRepository& stock) : stock_(stock) {}

  void reserve(commerce::store::MessageContext& ctx);
  void release(commerce::store::MessageContext& ctx);

 private:
  const StockRepository& stock_;
};

}  // namespace inventory
