#include "app/merchant_repository.hpp"

#include "commerce/store/store.hpp"

namespace merchant {
namespace {

// Timestamps leave the database already in the API's format.
constexpr const char* kRfc3339 =
    R"(to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";

std::string ts(const char* column) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, kRfc3339, column);
  return buffer;
}

}  // namespace

MerchantRow MerchantRepository::insert_merchant(pqxx::work& tx, const std::string& id,
                                                const std::string& name) {
  const auto r = commerce::store::exec1(
      tx, "INSERT INTO merchants (id, name) VALUES ($1, $2) RETURNING " + ts("created_at"), id,
      name);
  return MerchantRow{id, name, r[0].as<std::string>()};
}

std::optional<MerchantRow> MerchantRepository::find_merchant(pqxx::work& tx,
                                                             const std::string& id) {
  const auto result = commerce::store::exec(
      tx, "SELECT id, name, " + ts("created_at") + " FROM merchants WHERE id = $1", id);
  if (result.empty()) return std::nullopt;
  const auto& r = result[0];
  return MerchantRow{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()};
}

std::string MerchantRepository::insert_api_key(pqxx::work& tx, const std::string& key_id,
                                               const std::string& merchant_id,
                                               const std::string& key_hash,
                                               const std::string& prefix) {
  const auto r = commerce::store::exec1(
      tx,
      "INSERT INTO api_keys (id, merchant_id, key_hash, prefix) VALUES ($1, $2, $3, $4) "
      "RETURNING " +
          ts("created_at"),
      key_id, merchant_id, key_hash, prefix);
  return r[0].as<std::string>();
}

std::vector<ApiKeyRow> MerchantRepository::list_api_keys(pqxx::work& tx,
                                                         const std::string& merchant_id) {
  std::vector<ApiKeyRow> keys;
  const auto result = commerce::store::exec(tx,
                                            "SELECT id, merchant_id, prefix, " + ts("created_at") +
                                                ", " + ts("revoked_at") +
                                                " FROM api_keys WHERE merchant_id = $1 ORDER BY id",
                                            merchant_id);
  for (const auto& r : result) {
    ApiKeyRow row{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                  r[3].as<std::string>(), std::nullopt};
    if (!r[4].is_null()) row.revoked_at = r[4].as<std::string>();
    keys.push_back(std::move(row));
  }
  return keys;
}

std::optional<RevokedKey> MerchantRepository::revoke_api_key(pqxx::work& tx,
                                                             const std::string& merchant_id,
                                                             const std::string& key_id) {
  // Lock the row so two concurrent revocations emit one event between them.
  const auto result = commerce::store::exec(tx,
                                            "SELECT key_hash, revoked_at IS NULL FROM api_keys "
                                            "WHERE id = $1 AND (merchant_id = $2) IS TRUE "
                                            "FOR UPDATE",
                                            key_id, merchant_id);
  if (result.empty()) return std::nullopt;
  RevokedKey revoked{result[0][0].as<std::string>(), result[0][1].as<bool>()};
  if (revoked.newly_revoked) {
    commerce::store::exec(tx, "UPDATE api_keys SET revoked_at = now() WHERE id = $1", key_id);
  }
  return revoked;
}

}  // namespace merchant
