#include "app/idempotency_store.hpp"

#include "commerce/store/store.hpp"

namespace gateway {

IdempotencyStore::IdempotencyStore(commerce::store::ConnectionPool& db,
                                   std::chrono::milliseconds ttl, std::chrono::milliseconds lease)
    : db_(db),
      ttl_interval_(std::to_string(ttl.count()) + " milliseconds"),
      lease_interval_(std::to_string(lease.count()) + " milliseconds") {}

std::optional<StoredRequest> IdempotencyStore::claim(const std::string& scope,
                                                     const std::string& key,
                                                     const std::string& request_hash) {
  // A concurrent release can delete the row between our INSERT and SELECT: then try again.
  // Each step is one autocommitted statement: a fresh key, the common case, costs one round trip.
  for (int attempt = 0; attempt < 5; ++attempt) {
    bool claimed = false;
    std::optional<StoredRequest> existing;
    db_.autocommit([&](pqxx::transaction_base& tx) {
      claimed = false;
      existing.reset();
      const auto inserted = commerce::store::exec(
          tx,
          "INSERT INTO idempotency_keys (merchant_id, key, request_hash, state) "
          "VALUES ($1, $2, $3, 'in_progress') ON CONFLICT (merchant_id, key) DO NOTHING "
          "RETURNING 1",
          scope, key, request_hash);
      if (!inserted.empty()) {
        claimed = true;
        return;
      }
      const auto r = commerce::store::exec(
          tx,
          "SELECT request_hash, state, status, response_body, response_content_type, "
          "created_at < now() - $3::interval FROM idempotency_keys "
          "WHERE merchant_id = $1 AND key = $2",
          scope, key, ttl_interval_);
      if (r.empty()) return;
      if (r[0][5].as<bool>()) {
        // An expired key is as good as free, even before the sweeper removed it.
        commerce::store::exec(tx,
                              "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2 "
                              "AND created_at < now() - $3::interval",
                              scope, key, ttl_interval_);
        return;  // and claim again
      }
      if (r[0][1].as<std::string>() == "in_progress" && r[0][0].as<std::string>() == request_hash) {
        // An abandoned claim of the same request: take it over (and restart its lease).
        const auto taken = commerce::store::exec(
            tx,
            "UPDATE idempotency_keys SET created_at = now() WHERE merchant_id = $1 AND key = $2 "
            "AND request_hash = $3 AND state = 'in_progress' "
            "AND created_at < now() - $4::interval RETURNING 1",
            scope, key, request_hash, lease_interval_);
        if (!taken.empty()) {
          claimed = true;
          return;
        }
      }
      StoredRequest stored;
      stored.request_hash = r[0][0].as<std::string>();
      stored.done = r[0][1].as<std::string>() == "done";
      stored.status = r[0][2].is_null() ? 0 : r[0][2].as<int>();
      stored.body = r[0][3].is_null() ? "" : r[0][3].as<std::string>();
      stored.content_type = r[0][4].is_null() ? "" : r[0][4].as<std::string>();
      existing = std::move(stored);
    });
    if (claimed) return std::nullopt;
    if (existing) return existing;
  }
  throw commerce::bus::TransientError("idempotency key kept changing hands");
}

void IdempotencyStore::complete(const std::string& scope, const std::string& key,
                                const std::string& request_hash, int status,
                                const std::string& body, const std::string& content_type) {
  db_.autocommit([&](pqxx::transaction_base& tx) {
    commerce::store::exec(
        tx,
        "UPDATE idempotency_keys SET state = 'done', status = $4, response_body = $5, "
        "response_content_type = $6 WHERE merchant_id = $1 AND key = $2 AND request_hash = $3",
        scope, key, request_hash, status, body, content_type);
  });
}

void IdempotencyStore::release(const std::string& scope, const std::string& key,
                               const std::string& request_hash) {
  db_.transact([&](pqxx::work& tx) {
    commerce::store::exec(
        tx,
        "DELETE FROM idempotency_keys WHERE merchant_id = $1 AND key = $2 AND request_hash = $3 "
        "AND state = 'in_progress'",
        scope, key, request_hash);
  });
}

std::int64_t IdempotencyStore::expire() {
  std::int64_t removed = 0;
  db_.transact([&](pqxx::work& tx) {
    const auto r = commerce::store::exec(
        tx, "DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", ttl_interval_);
    removed = static_cast<std::int64_t>(r.affected_rows());
  });
  return removed;
}

}  // namespace gateway
