#include "app/api_key_directory.hpp"

#include <algorithm>

#include "commerce/store/store.hpp"

namespace gateway {
namespace {

// Bounds memory against a flood of random keys.
constexpr std::size_t kMaxCacheEntries = 100'000;

}  // namespace

ApiKeyDirectory::ApiKeyDirectory(commerce::store::ConnectionPool& db, std::chrono::milliseconds ttl)
    : db_(db),
      ttl_(ttl),
      // A key created a moment ago should start working soon after its event arrives.
      negative_ttl_(std::min(ttl, std::chrono::milliseconds(1000))) {}

std::optional<Principal> ApiKeyDirectory::authenticate(const std::string& key_hash) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    const auto it = cache_.find(key_hash);
    if (it != cache_.end() && it->second.expires > now) return it->second.principal;
  }
  std::optional<Principal> principal;
  db_.read([&](pqxx::work& tx) {
    const auto result = commerce::store::exec(
        tx, "SELECT merchant_id, key_id FROM api_keys WHERE key_hash = $1 AND NOT revoked",
        key_hash);
    if (!result.empty()) {
      principal = Principal{result[0][0].as<std::string>(), result[0][1].as<std::string>()};
    }
  });
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kMaxCacheEntries) cache_.clear();
  cache_[key_hash] = Entry{principal, now + (principal ? ttl_ : negative_ttl_)};
  return principal;
}

void ApiKeyDirectory::remember(pqxx::work& tx, const std::string& key_hash,
                               const std::string& key_id, const std::string& merchant_id) {
  commerce::store::exec(
      tx,
      "INSERT INTO api_keys (key_hash, key_id, merchant_id, revoked) VALUES ($1, $2, $3, false) "
      "ON CONFLICT (key_hash) DO NOTHING",
      key_hash, key_id, merchant_id);
}

void ApiKeyDirectory::revoke(pqxx::work& tx, const std::string& key_hash, const std::string& key_id,
                             const std::string& merchant_id) {
  commerce::store::exec(
      tx,
      "INSERT INTO api_keys (key_hash, key_id, merchant_id, revoked) VALUES ($1, $2, $3, true) "
      "ON CONFLICT (key_hash) DO UPDATE SET revoked = true, updated_at = now()",
      key_hash, key_id, merchant_id);
}

void ApiKeyEvents::on_created(commerce::store::MessageContext& ctx) {
  const auto& p = ctx.message().payload;
  ApiKeyDirectory::remember(ctx.tx(), p.at("key_hash").get<std::string>(),
                            p.at("key_id").get<std::string>(),
                            p.at("merchant_id").get<std::string>());
}

void ApiKeyEvents::on_revoked(commerce::store::MessageContext& ctx) {
  const auto& p = ctx.message().payload;
  ApiKeyDirectory::revoke(ctx.tx(), p.at("key_hash").get<std::string>(),
                          p.at("key_id").get<std::string>(),
                          p.at("merchant_id").get<std::string>());
}

}  // namespace gateway
