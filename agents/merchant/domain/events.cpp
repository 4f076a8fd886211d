#include "domain/events.hpp"

namespace merchant::events {

nlohmann::json merchant_created(const std::string& merchant_id, const std::string& name) {
  return {{"merchant_id", merchant_id}, {"name", name}};
}

nlohmann::json api_key_created(const std::string& key_id, const std::string& merchant_id,
                               const std::string& key_hash, const std::string& prefix) {
  return {
      {"key_id", key_id}, {"merchant_id", merchant_id}, {"key_hash", key_hash}, {"prefix", prefix}};
}

nlohmann::json api_key_revoked(const std::string& key_id, const std::string& merchant_id,
                               const std::string& key_hash) {
  return {{"key_id", key_id}, {"merchant_id", merchant_id}, {"key_hash", key_hash}};
}

}  // namespace merchant::events
