#pragma once
// What the agents' own tables say about a merchant's orders, read with the superuser URL.
// Used by fleetctl demo/bench and by the integration tests: the truth is in the tables, not in
// what the HTTP answers claimed.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace commerce::scenario {

struct OrderOutcomes {
  std::int64_t placed = 0;  // rows in "order".orders
  std::int64_t confirmed = 0;
  std::int64_t cancelled = 0;
  std::int64_t pending = 0;
  std::int64_t sagas_open = 0;                // orchestration.sagas not in a terminal state
  std::int64_t duplicate_reservations = 0;    // orders with >1 inventory.reservations row
  std::int64_t duplicate_authorizations = 0;  // orders with >1 payment.authorizations row
  std::int64_t duplicate_notifications = 0;   // (order, kind) with >1 notification
  std::map<std::string, std::int64_t> cancel_reasons;

  std::int64_t stuck() const { return pending + sagas_open; }
  std::int64_t duplicate_effects() const {
    return duplicate_reservations + duplicate_authorizations + duplicate_notifications;
  }
};

OrderOutcomes count_outcomes(const std::string& admin_url, const std::string& merchant_id);

// True once every order of the merchant left 'pending' and every saga is terminal.
bool all_sagas_ended(const std::string& admin_url, const std::string& merchant_id);

struct ThroughputStats {
  std::int64_t finished = 0;  // orders that reached a final state
  std::int64_t confirmed = 0;
  double seconds = 0;  // first placed_at to last final timestamp
  double orders_per_sec = 0;
  double p50_ms = 0;  // confirmed_at - placed_at
  double p99_ms = 0;
};

// Orders of the merchant placed at or after `since_epoch_seconds` (UTC).
ThroughputStats throughput(const std::string& admin_url, const std::string& merchant_id,
                           double since_epoch_seconds);

// Rows for one order in another agent's table (e.g. "payment.authorizations").
std::int64_t rows_for_order(const std::string& admin_url, const std::string& table,
                            const std::string& order_id);

// Runs one scalar query (tests' ad-hoc assertions); nullopt when it returns NULL or no row.
std::optional<std::string> scalar(const std::string& admin_url, const std::string& sql,
                                  const std::string& param = "");

}  // namespace commerce::scenario
