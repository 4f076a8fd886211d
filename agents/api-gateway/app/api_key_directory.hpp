#pragma once
// The gateway's own copy of the API keys, learnt only from merchant.ApiKeyCreated and
// merchant.ApiKeyRevoked events, with a short in-memory cache in front of the table.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "commerce/store/store.hpp"

namespace gateway {

struct Principal {
  std::string merchant_id;
  std::string key_id;
};

class ApiKeyDirectory {
 public:
  // Revocation takes effect within `ttl` (cached answers are trusted that long).
  ApiKeyDirectory(commerce::store::ConnectionPool& db, std::chrono::milliseconds ttl);

  // The merchant behind a key's sha256 hex, or nullopt when unknown or revoked.
  std::optional<Principal> authenticate(const std::string& key_hash);

  // Event side, in the dispatcher's transaction. A revocation that arrives first leaves a
  // tombstone, so a late ApiKeyCreated cannot bring the key back.
  static void remember(pqxx::work& tx, const std::string& key_hash, const std::string& key_id,
                       const std::string& merchant_id);
  static void revoke(pqxx::work& tx, const std::string& key_hash, const std::string& key_id,
                     const std::string& merchant_id);

 private:
  struct Entry {
    std::optional<Principal> principal;
    std::chrono::steady_clock::time_point expires;
  };

  commerce::store::ConnectionPool& db_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds negative_ttl_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> cache_;
};

// Message handlers for the merchant's key events.
class ApiKeyEvents {
 public:
  void on_created(commerce::store::MessageContext& ctx);
  void on_revoked(commerce::store::MessageContext& ctx);
};

}  // namespace gateway
