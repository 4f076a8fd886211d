#include "app/saga_timeouts.hpp"

#include "app/saga_handlers.hpp"
#include "commerce/bus/envelope.hpp"
#include "commerce/core/traceparent.hpp"
#include "commerce/log/log.hpp"
#include "commerce/runtime/periodic.hpp"
#include "commerce/store/store.hpp"

namespace orchestration {

namespace {
constexpr std::size_t kBatch = 100;
}

SagaTimeouts::SagaTimeouts(commerce::store::ConnectionPool& db, SagaRepository& sagas,
                           SagaMetrics& metrics, SagaPolicy policy,
                           std::chrono::milliseconds interval, std::function<TimePoint()> clock)
    : db_(db),
      sagas_(sagas),
      metrics_(metrics),
      policy_(policy),
      interval_(interval),
      clock_(std::move(clock)) {}

std::size_t SagaTimeouts::sweep() {
  struct Observed {
    std::string type;
    SagaDecision decision;
    TimePoint started_at;
  };
  std::vector<Observed> observed;
  const auto now = clock_();
  db_.transact([&](pqxx::work& tx) {
    observed.clear();
    for (const auto& row : sagas_.lock_due(tx, now, kBatch)) {
      // A timeout is a hop of the saga's trace: its own span, a child of the one that started it.
      const auto parent = commerce::core::TraceParent::parse(row.traceparent);
      const auto span = commerce::core::TraceParent::next_hop(row.traceparent);
      commerce::log::ScopedContext trace_scope(commerce::log::Context{
          "", row.correlation_id, "", span.trace_id, span.span_id, parent ? parent->span_id : ""});
      auto decision = on_timeout(row.saga, now, policy_);
      sagas_.record(tx, row, decision, std::nullopt, now);
      for (const auto& command : decision.commands) {
        // The saga's correlation and trace carry on, though no message caused this one.
        auto envelope = commerce::bus::make_envelope(command.type, row.saga.merchant_id,
                                                     command.payload, nullptr, span.to_string());
        envelope.correlation_id = row.correlation_id;
        commerce::store::append_outbox(tx, command_topic(command.type), row.saga.order_id,
                                       envelope);
      }
      observed.push_back({row.type, decision, row.started_at});
      commerce::log::info("saga step timed out", {{"saga_id", row.saga.id},
                                                  {"order_id", row.saga.order_id},
                                                  {"from", to_string(decision.from)},
                                                  {"to", to_string(decision.to)},
                                                  {"note", decision.note}});
    }
  });
  // Counted once the transaction committed.
  for (const auto& o : observed) metrics_.observe(o.type, o.decision, o.started_at, now);
  return observed.size();
}

void SagaTimeouts::run(std::stop_token stop) {
  // A full batch: more are due, keep going.
  commerce::runtime::repeat_every(stop, interval_, "saga timeout sweep",
                                  [&] { return sweep() == kBatch; });
}

}  // namespace orchestration
