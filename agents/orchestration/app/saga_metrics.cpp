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
                                      {"type", "reason"})),
      past_deadline_(registry.gauge("sagas_past_deadline",
                                    "Running sagas whose step deadline has passed", {"type"})),
      oldest_past_deadline_(registry.gauge(
          "saga_oldest_past_deadline_seconds",
          "How long ago the most overdue running saga's step deadline passed (0 when none)",
          {"type"})) {
  // Every bounded series exists from the start, so alerts and dashboards see zeros, not gaps.
  started_.with({kPlaceOrderSaga});
  duration_.with({kPlaceOrderSaga});
  for (auto state : kAllStates) {
    if (is_terminal(state)) finished_.with({kPlaceOrderSaga, to_string(state)});
  }
  for (const char* reason :
       {"out_of_stock", "payment_declined", "timeout", "order_cancelled", "other"}) {
    compensations_.with({kPlaceOrderSaga, reason});
  }
  past_deadline_.with({kPlaceOrderSaga});
  oldest_past_deadline_.with({kPlaceOrderSaga});
}

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
                                          SagaRepository& sagas,
                                          std::chrono::steady_clock::duration finished_recount) {
  registry_.on_collect([this, &db, &sagas, finished_recount] {
    try {
      std::map<std::string, std::int64_t> counts;
      double overdue = 0, oldest_overdue_s = 0;
      std::lock_guard finished_lock(finished_mutex_);
      const auto now = std::chrono::steady_clock::now();
      const bool recount_finished =
          !finished_counted_at_ || now - *finished_counted_at_ >= finished_recount;
      db.read([&](pqxx::work& tx) {
        // Running sagas by the partial index at every scrape; finished ones (a count over every
        // saga ever run, growing without bound) only every `finished_recount`.
        counts = sagas.count_by_state(tx, kPlaceOrderSaga, /*finished=*/false);
        if (recount_finished) {
          finished_counts_ = sagas.count_by_state(tx, kPlaceOrderSaga, /*finished=*/true);
          finished_counted_at_ = now;
        }
        // Running sagas only (finished_at IS NULL exactly while running), so the partial index
        // on running sagas serves it: `state NOT IN (completed, compensated)` read every saga
        // ever run at each scrape. Normally empty, because the timeout worker acts on a due
        // saga within a scan interval.
        const auto row = commerce::store::exec1(
            tx,
            "SELECT count(*)::float8, "
            "coalesce(extract(epoch FROM now() - min(deadline)), 0)::float8 FROM sagas "
            "WHERE finished_at IS NULL AND type = $1 AND deadline < now()",
            std::string(kPlaceOrderSaga));
        overdue = row[0].as<double>();
        oldest_overdue_s = row[1].as<double>();
      });
      past_deadline_.with({kPlaceOrderSaga}).set(overdue);
      oldest_past_deadline_.with({kPlaceOrderSaga}).set(oldest_overdue_s);
      for (const auto& [state, n] : finished_counts_) counts[state] += n;
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
