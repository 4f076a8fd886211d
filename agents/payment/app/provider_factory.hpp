#pragma once
#include <memory>

#include "domain/payment_provider.hpp"

namespace commerce::config {
class Config;
}

namespace payment {

// PAYMENT_PROVIDER (default "sandbox"). An unknown name is a ConfigError naming the setting.
std::unique_ptr<PaymentProvider> make_provider(const commerce::config::Config& config);

}  // namespace payment
