// The order agent's composition root: wiring only.
#include "app/http_routes.hpp"
#include "app/message_handlers.hpp"
#include "app/order_placement.hpp"
#include "app/order_repository.hpp"
#include "app/price_catalogue.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/runtime/agent.hpp"

int main() {
  return commerce::runtime::guarded_main("order", [] {
    namespace topics = commerce::bus::topics;
    using commerce::store::MessageContext;
    commerce::runtime::Agent agent("order", commerce::config::Config::load());

    order::OrderRepository orders;
    order::PriceCatalogueRepository prices;
    order::PriceCache price_cache;
    order::ProductDirectory products(agent.http_client(),
                                     agent.config().get("AGENT_URL_PRODUCT", ""));

    order::OrderMetrics metrics(agent.metrics());
    order::CommandHandlers commands(orders, metrics);
    order::CatalogueFeed catalogue(prices);
    auto& dispatcher = agent.dispatcher();
    dispatcher.on_batch({"order.ConfirmOrder", "order.CancelOrder"},
                        [&](std::span<MessageContext> batch) { commands.on_batch(batch); });
    for (const char* type : {"product.ProductCreated", "product.ProductUpdated"}) {
      dispatcher.on(type, [&](MessageContext& ctx) { catalogue.on_product(ctx); });
    }
    agent.subscribe({topics::commands("order"), topics::events("product")});

    order::OrderPlacement placement(agent.db(), orders, prices, price_cache, products);
    order::HttpRoutes routes(agent.db(), orders, placement, metrics);
    routes.register_on(agent.api());
    return agent.run();
  });
}
