#pragma once
// The saga metrics: started, finished by outcome, duration, compensations by bounded reason,
// and sagas per state (counted in the database: running ones at each scrape, finished ones at
// most every few minutes).
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "commerce/metrics/fwd.hpp"
#include "domain/place_order_saga.hpp"

namespace commerce::store {
class ConnectionPool;
}

namespace orchestration {

class SagaRepository;

class SagaMetrics {
 public:
  explicit SagaMetrics(commerce::metrics::Registry& registry);
  void started(const std::string& type);
  // What a decision did: compensation started, saga finished (with its duration).
  void observe(const std::string& type, const SagaDecision& decision, TimePoint started_at,
               TimePoint now);
  // sagas_in_state{type,state}, sagas_past_deadline{type} and
  // saga_oldest_past_deadline_seconds{type}, refreshed from the database on every scrape; the
  // finished states (completed, compensated) are counted again at most every
  // `finished_recount`: counting them reads every saga ever run.
  void count_states_on_collect(
      commerce::store::ConnectionPool& db, SagaRepository& sagas,
      std::chrono::steady_clock::duration finished_recount = std::chrono::minutes(5));

 private:
  commerce::metrics::Registry& registry_;
  commerce::metrics::Family<commerce::metrics::Counter>& started_;
  commerce::metrics::Family<commerce::metrics::Counter>& finished_;
  commerce::metrics::Family<commerce::metrics::Histogram>& duration_;
  commerce::metrics::Family<commerce::metrics::Gauge>& in_state_;
  commerce::metrics::Family<commerce::metrics::Counter>& compensations_;
  commerce::metrics::Family<commerce::metrics::Gauge>& past_deadline_;
  commerce::metrics::Family<commerce::metrics::Gauge>& oldest_past_deadline_;

  std::mutex finished_mutex_;  // scrapes may run concurrently
  std::map<std::string, std::int64_t> finished_counts_;
  std::optional<std::chrono::steady_clock::time_point> finished_counted_at_;
};

}  // namespace orchestration
