#include "app/provider_factory.hpp"

#include "commerce/config/config.hpp"
#include "domain/sandbox_provider.hpp"

namespace payment {

std::unique_ptr<PaymentProvider> make_provider(const commerce::config::Config& config) {
  const auto name = config.get("PAYMENT_PROVIDER", "sandbox");
  if (name == "sandbox") return std::make_unique<SandboxProvider>();
  throw commerce::config::ConfigError("PAYMENT_PROVIDER: unknown provider '" + name +
                                      "' (known: sandbox)");
}

}  // namespace payment
