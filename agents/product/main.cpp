// Composition root of the product agent: wiring only. Product has no commands to consume;
// it serves its API and publishes its events through the outbox.
#include "app/http_routes.hpp"
#include "app/product_repository.hpp"
#include "commerce/runtime/agent.hpp"

int main() {
  return commerce::runtime::guarded_main("product", [] {
    commerce::runtime::Agent agent("product", commerce::config::Config::load());
    product::ProductRepository products;
    product::HttpRoutes routes(agent.db(), products);
    routes.register_on(agent.api());
    return agent.run();
  });
}
