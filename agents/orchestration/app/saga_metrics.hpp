#pragma once
// The saga metrics: started, finished by outcome, duration, compensations by bounded reason,
// and sagas per state (counted in the database at each scrape).
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
  // saga_oldest_past_deadline_seconds{type}, refreshed from the database on every scrape.
  void count_states_on_collect(commerce::store::ConnectionPool& db, SagaRepository& sagas);

 private:
  commerce::metrics::Registry& registry_;
  commerce::metrics::Family<commerce::metrics::Counter>& started_;
  commerce::metrics::Family<commerce::metrics::Counter>& finished_;
  commerce::metrics::Family<commerce::metrics::Histogram>& duration_;
  commerce::metrics::Family<commerce::metrics::Gauge>& in_state_;
  commerce::metrics::Family<commerce::metrics::Counter>& compensations_;
  commerce::metrics::Family<commerce::metrics::Gauge>& past_deadline_;
  commerce::metrics::Family<commerce::metrics::Gauge>& oldest_past_deadline_;
};

}  // namespace orchestration
