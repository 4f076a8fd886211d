// Composition root of the payment agent: wiring only.
#include "app/authorization_repository.hpp"
#include "app/command_handlers.hpp"
#include "app/http_routes.hpp"
#include "app/provider_factory.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/runtime/agent.hpp"
#include "domain/messages.hpp"

int main() {
  return commerce::runtime::guarded_main("payment", [] {
    commerce::runtime::Agent agent("payment", commerce::config::Config::load());
    auto provider = payment::make_provider(agent.config());
    payment::AuthorizationRepository authorizations;
    payment::PaymentMetrics metrics(agent.metrics());
    payment::CommandHandlers handlers(authorizations, *provider, metrics);
    agent.dispatcher().on_batch(
        {payment::messages::kAuthorizePayment, payment::messages::kVoidPayment},
        [&](std::span<commerce::store::MessageContext> batch) { handlers.on_batch(batch); });
    agent.subscribe({commerce::bus::topics::commands("payment")});
    payment::HttpRoutes routes(agent.db(), authorizations);
    routes.register_on(agent.api());
    return agent.run();
  });
}
