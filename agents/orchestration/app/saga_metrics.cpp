#include "app/saga_metrics.hpp"

#include "app/saga_repository.hpp"
#include "commerce/log/log.hpp"
#include "commerce/metrics/registry.hpp"
#include "commerce/store/store.hpp"

namespace orchestration {

SagaMetrics::SagaMetrics(commerce::metrics::Registry& registry)
    : registry_(registry),
      started_(registry.counter("sagas_started_total", "Sagas started", {"type"})),
      finished_(
          registry.counter("sagas_finished_total", "Sagas ended, by outcome", {"type", "outcome"})),
      duration_(registry.histogram("saga_duration_seconds", "Time from start to end of a saga",
                                   {"type"},
                                   {0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300})),
      in_state_(registry.gauge("sagas_in_state", "Sagas per state", {"type", "state"})),
      compensations_(registry.counter("saga_compensations_total",
                                      "Sagas that started compensating, by reason",
                                      {"type", "reason"})) {}

void SagaMetrics::started(const std::string& type) { started_.with({type}).inc(); }

void SagaMetrics::observe(const std::string& type, const SagaDecision& decision,
                          TimePoint started_at, TimePoint now) {
  if (decision.compensation) compensations_.with({type, *decision.compensation}).inc();
  if (decision.finished()) {
    finished_.with({type, to_string(decision.to)}).inc();
    duration_.with({type}).observe(std::chrono::duration<double>(now - started_at).count());
  }
}

void SagaMetrics::count_states_on_collect(commerce::store::ConnectionPool& db,
                                          SagaRepository& sagas) {
  registry_.on_collect([this, &db, &sagas] {
    try {
      std::map<std::string, std::int64_t> counts;
      db.read([&](pqxx::work& tx) { counts = sagas.count_by_state(tx, kPlaceOrderSaga); });
      for (auto state : kAllStates) {
        auto it = counts.find(to_string(state));
        in_state_.with({kPlaceOrderSaga, to_string(state)})
            .set(it == counts.end() ? 0.0 : static_cast<double>(it->second));
      }
    } catch (const std::exception& e) {
      commerce::log::warn("cannot count sagas per state", {{"error", e.what()}});
    }
  });
}

}  // namespace orchestration
