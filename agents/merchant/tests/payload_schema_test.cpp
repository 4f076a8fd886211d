// Every payload the merchant agent produces matches its schema file.
#include <gtest/gtest.h>

#include "commerce/bus/schema.hpp"
#include "commerce/core/ids.hpp"
#include "domain/api_keys.hpp"
#include "domain/events.hpp"

namespace merchant {
namespace {

const commerce::bus::SchemaRegistry& schemas() {
  static const auto registry = commerce::bus::SchemaRegistry::load(COMMERCE_SOURCE_DIR "/schemas");
  return registry;
}

TEST(MerchantPayloads, MatchTheirSchemas) {
  const auto key = generate_api_key();
  const std::string merchant_id = commerce::core::uuid_v7();
  const std::string key_id = commerce::core::uuid_v7();
  EXPECT_EQ(schemas().validate(events::kMerchantCreated, 1,
                               events::merchant_created(merchant_id, "Acme")),
            std::nullopt);
  EXPECT_EQ(schemas().validate(events::kApiKeyCreated, 1,
                               events::api_key_created(key_id, merchant_id, key.hash, key.prefix)),
            std::nullopt);
  EXPECT_EQ(schemas().validate(events::kApiKeyRevoked, 1,
                               events::api_key_revoked(key_id, merchant_id, key.hash)),
            std::nullopt);
}

TEST(MerchantPayloads, SchemasRejectWhatMustNotTravel) {
  auto created = events::api_key_created("k", "m", std::string(64, 'a'), "ck_live_abcd");
  created["key"] = "ck_live_secret";  // the secret itself never travels
  EXPECT_NE(schemas().validate(events::kApiKeyCreated, 1, created), std::nullopt);
  EXPECT_NE(schemas().validate(events::kApiKeyRevoked, 1,
                               events::api_key_revoked("k", "m", "not-a-hash")),
            std::nullopt);
  EXPECT_NE(schemas().validate(events::kMerchantCreated, 1, {{"merchant_id", "m"}}), std::nullopt);
}

}  // namespace
}  // namespace merchant
