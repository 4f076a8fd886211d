// Composition root of the inventory agent: wiring only.
#include "app/command_handlers.hpp"
#include "app/http_routes.hpp"
#include "app/stock_repository.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/runtime/agent.hpp"
#include "domain/messages.hpp"

int main() {
  return commerce::runtime::guarded_main("inventory", [] {
    commerce::runtime::Agent agent("inventory", commerce::config::Config::load());
    inventory::StockRepository stock;
    inventory::InventoryMetrics metrics(agent.metrics());
    inventory::CommandHandlers handlers(stock, metrics);
    agent.dispatcher().on_batch(
        {inventory::messages::kReserveStock, inventory::messages::kReleaseStock},
        [&](std::span<commerce::store::MessageContext> batch) { handlers.on_batch(batch); });
    agent.subscribe({commerce::bus::topics::commands("inventory")});
    // Orders contend for the same stock rows: concurrent batches would only wait on each other's
    // row locks (and deadlock, since a batch locks the SKUs of many orders).
    agent.set_default_consumer_lanes(1);
    inventory::HttpRoutes routes(agent.db(), stock);
    routes.register_on(agent.api());
    return agent.run();
  });
}
