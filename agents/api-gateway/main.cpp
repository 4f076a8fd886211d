// Composition root of the api-gateway: the only public door, REST under /v1.
#include <map>

#include "app/api_key_directory.hpp"
#include "app/gateway_routes.hpp"
#include "app/idempotency_store.hpp"
#include "app/upstream_proxy.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/log/log.hpp"
#include "commerce/runtime/agent.hpp"
#include "commerce/runtime/periodic.hpp"
#include "domain/route_table.hpp"

int main() {
  return commerce::runtime::guarded_main("api-gateway", [] {
    commerce::runtime::Agent agent("api-gateway", commerce::config::Config::load());
    const auto& config = agent.config();

    // Every upstream must be configured: a gateway that cannot route is a start-up error.
    std::map<std::string, std::string> upstreams;
    for (const auto& name : gateway::upstream_names()) {
      upstreams[name] = config.require(gateway::upstream_setting(name));
    }
    commerce::http::Client upstream_client(
        {.timeout = config.get_millis("UPSTREAM_TIMEOUT", std::chrono::seconds(8))});
    gateway::UpstreamProxy proxy(upstream_client, upstreams, agent.metrics());

    gateway::ApiKeyDirectory keys(agent.db(),
                                  config.get_millis("API_KEY_CACHE_TTL", std::chrono::seconds(5)));
    gateway::ApiKeyEvents key_events;
    agent.dispatcher().on("merchant.ApiKeyCreated", [&](commerce::store::MessageContext& ctx) {
      key_events.on_created(ctx);
    });
    agent.dispatcher().on("merchant.ApiKeyRevoked", [&](commerce::store::MessageContext& ctx) {
      key_events.on_revoked(ctx);
    });
    agent.subscribe({commerce::bus::topics::events("merchant")});

    gateway::IdempotencyStore idempotency(
        agent.db(), config.get_millis("IDEMPOTENCY_TTL", std::chrono::hours(24)),
        config.get_millis("IDEMPOTENCY_LEASE", std::chrono::seconds(10)));
    const auto sweep_interval =
        config.get_millis("IDEMPOTENCY_SWEEP_INTERVAL", std::chrono::minutes(1));
    agent.add_worker("idempotency-expiry", [&](std::stop_token stop) {
      commerce::runtime::repeat_every(stop, sweep_interval, "idempotency expiry", [&] {
        if (const auto removed = idempotency.expire(); removed > 0) {
          commerce::log::info("expired idempotency keys", {{"count", std::to_string(removed)}});
        }
        return false;
      });
    });

    gateway::GatewayRoutes routes(keys, idempotency, proxy, agent.metrics());
    routes.register_on(agent.api());
    return agent.run();
  });
}
