#pragma once
// The timeout worker: every ~200 ms it takes running sagas past their deadline (FOR UPDATE SKIP
// LOCKED, so several instances share the work) and applies on_timeout, emitting through the
// outbox in the same transaction.
#include <chrono>
#include <functional>
#include <stop_token>

#include "app/saga_metrics.hpp"
#include "app/saga_repository.hpp"

namespace commerce::store {
class ConnectionPool;
}

namespace orchestration {

class SagaTimeouts {
 public:
  SagaTimeouts(
      commerce::store::ConnectionPool& db, SagaRepository& sagas, SagaMetrics& metrics,
      SagaPolicy policy, std::chrono::milliseconds interval = std::chrono::milliseconds(200),
      std::function<TimePoint()> clock = [] { return Clock::now(); });
  // One scan; returns how many sagas it moved.
  std::size_t sweep();
  // The worker loop (agent.add_worker).
  void run(std::stop_token stop);

 private:
  commerce::store::ConnectionPool& db_;
  SagaRepository& sagas_;
  SagaMetrics& metrics_;
  SagaPolicy policy_;
  std::chrono::milliseconds interval_;
  std::function<TimePoint()> clock_;
};

}  // namespace orchestration
