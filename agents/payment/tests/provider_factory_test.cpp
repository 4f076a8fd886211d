#include "app/provider_factory.hpp"

#include <gtest/gtest.h>

#include "commerce/config/config.hpp"

namespace payment {
namespace {

TEST(ProviderFactory, SandboxByDefaultAndByName) {
  EXPECT_EQ(make_provider(commerce::config::Config::from_map({}))->name(), "sandbox");
  EXPECT_EQ(
      make_provider(commerce::config::Config::from_map({{"PAYMENT_PROVIDER", "sandbox"}}))->name(),
      "sandbox");
}

TEST(ProviderFactory, UnknownProviderIsAConfigErrorNamingTheSetting) {
  try {
    make_provider(commerce::config::Config::from_map({{"PAYMENT_PROVIDER", "acme"}}));
    FAIL() << "expected ConfigError";
  } catch (const commerce::config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("PAYMENT_PROVIDER"), std::string::npos);
  }
}

}  // namespace
}  // namespace payment
