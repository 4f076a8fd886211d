#pragma once
// SQL for merchants and their API keys, on the caller's transaction.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace merchant {

struct MerchantRow {
  std::string id;
  std::string name;
  std::string created_at;  // RFC 3339 UTC
};

struct ApiKeyRow {
  std::string id;
  std::string merchant_id;
  std::string prefix;
  std::string created_at;
  std::optional<std::string> revoked_at;
};

struct RevokedKey {
  std::string key_hash;
  bool newly_revoked = false;  // false when it was revoked before: no second event
};

class MerchantRepository {
 public:
  MerchantRow insert_merchant(pqxx::work& tx, const std::string& id, const std::string& name);
  std::optional<MerchantRow> find_merchant(pqxx::work& tx, const std::string& id);
  // Returns created_at.
  std::string insert_api_key(pqxx::work& tx, const std::string& key_id,
                             const std::string& merchant_id, const std::string& key_hash,
                             const std::string& prefix);
  std::vector<ApiKeyRow> list_api_keys(pqxx::work& tx, const std::string& merchant_id);
  // nullopt when the merchant has no such key.
  std::optional<RevokedKey> revoke_api_key(pqxx::work& tx, const std::string& merchant_id,
                                           const std::string& key_id);
};

}  // namespace merchant
