#pragma once
// Stored answers to POSTs carrying an Idempotency-Key, per (merchant or operator scope, key).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "commerce/store/store.hpp"
#include "domain/idempotency.hpp"

namespace gateway {

class IdempotencyStore {
 public:
  // A claim still in progress after `lease` was abandoned (its gateway crashed or lost the
  // database before completing it): the next request with the same key and body takes it over.
  // That is safe because the upstream agent deduplicates by the forwarded key as well.
  IdempotencyStore(commerce::store::ConnectionPool& db, std::chrono::milliseconds ttl,
                   std::chrono::milliseconds lease = std::chrono::seconds(10));

  // Claims the key for this request (inserting it 'in_progress' and committing) and returns
  // nullopt; or, when another request holds the key, returns what it stored.
  std::optional<StoredRequest> claim(const std::string& scope, const std::string& key,
                                     const std::string& request_hash);
  void complete(const std::string& scope, const std::string& key, const std::string& request_hash,
                int status, const std::string& body, const std::string& content_type);
  // Frees a claimed key (the upstream failed), so the client may retry with it.
  void release(const std::string& scope, const std::string& key, const std::string& request_hash);
  // Deletes keys older than the TTL; returns how many.
  std::int64_t expire();

 private:
  commerce::store::ConnectionPool& db_;
  std::string ttl_interval_;
  std::string lease_interval_;  // e.g. "86400 seconds", bound as a parameter
};

}  // namespace gateway
