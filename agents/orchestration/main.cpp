// The orchestration agent's composition root: wiring only.
#include "app/operator_routes.hpp"
#include "app/saga_handlers.hpp"
#include "app/saga_metrics.hpp"
#include "app/saga_repository.hpp"
#include "app/saga_timeouts.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/runtime/agent.hpp"

int main() {
  return commerce::runtime::guarded_main("orchestration", [] {
    namespace topics = commerce::bus::topics;
    using commerce::store::MessageContext;
    commerce::runtime::Agent agent("orchestration", commerce::config::Config::load());

    orchestration::SagaPolicy policy;
    policy.step_timeout = agent.config().get_millis("SAGA_STEP_TIMEOUT_MS", policy.step_timeout);
    policy.max_retry_delay =
        agent.config().get_millis("SAGA_MAX_RETRY_DELAY_MS", policy.max_retry_delay);
    const auto sweep_interval =
        agent.config().get_millis("SAGA_TIMEOUT_SCAN_MS", std::chrono::milliseconds(200));

    orchestration::SagaRepository sagas;
    orchestration::SagaMetrics metrics(agent.metrics());
    metrics.count_states_on_collect(agent.db(), sagas);

    orchestration::SagaHandlers handlers(sagas, metrics, policy);
    auto& dispatcher = agent.dispatcher();
    std::vector<std::string> types{orchestration::kOrderPlaced};
    types.insert(types.end(), std::begin(orchestration::kFollowedTypes),
                 std::end(orchestration::kFollowedTypes));
    dispatcher.on_batch(types, [&](std::span<MessageContext> batch) { handlers.on_batch(batch); });
    agent.subscribe(
        {topics::events("order"), topics::events("inventory"), topics::events("payment")});

    orchestration::SagaTimeouts timeouts(agent.db(), sagas, metrics, policy, sweep_interval);
    agent.add_worker("saga-timeouts", [&](std::stop_token stop) { timeouts.run(stop); });

    orchestration::OperatorRoutes routes(agent.db(), sagas, metrics, policy,
                                         agent.config().get("OPERATOR_TOKEN", ""));
    routes.register_on(agent.api());
    return agent.run();
  });
}
