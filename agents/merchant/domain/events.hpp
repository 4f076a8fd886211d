#pragma once
// Payloads of the events the merchant agent emits (schemas/merchant/*.v1.json).
#include <nlohmann/json.hpp>
#include <string>

namespace merchant::events {

inline constexpr const char* kMerchantCreated = "merchant.MerchantCreated";
inline constexpr const char* kApiKeyCreated = "merchant.ApiKeyCreated";
inline constexpr const char* kApiKeyRevoked = "merchant.ApiKeyRevoked";

nlohmann::json merchant_created(const std::string& merchant_id, const std::string& name);
nlohmann::json api_key_created(const std::string& key_id, const std::string& merchant_id,
                               const std::string& key_hash, const std::string& prefix);
nlohmann::json api_key_revoked(const std::string& key_id, const std::string& merchant_id,
                               const std::string& key_hash);

}  // namespace merchant::events
