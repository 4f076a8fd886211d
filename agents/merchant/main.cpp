// Composition root of the merchant agent: merchants (tenants) and their API keys.
#include "app/http_routes.hpp"
#include "app/merchant_repository.hpp"
#include "commerce/runtime/agent.hpp"

int main() {
  return commerce::runtime::guarded_main("merchant", [] {
    commerce::runtime::Agent agent("merchant", commerce::config::Config::load());
    merchant::MerchantRepository merchants;
    const std::string operator_token = agent.config().require("OPERATOR_TOKEN");
    if (operator_token.size() < 16) {
      throw commerce::config::ConfigError("OPERATOR_TOKEN: must be at least 16 characters");
    }
    merchant::HttpRoutes routes(agent.db(), merchants, operator_token);
    routes.register_on(agent.api());
    return agent.run();
  });
}
