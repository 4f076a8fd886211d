#pragma once
// Thin message handlers of the PlaceOrder saga. Each runs inside the dispatcher's batch
// transaction: the saga's new state, its step row and the commands it emits commit together
// with the inbox entry of the message that caused them.
#include <functional>

#include "app/saga_metrics.hpp"
#include "app/saga_repository.hpp"

namespace commerce::store {
class MessageContext;
}

namespace orchestration {

class SagaHandlers {
 public:
  SagaHandlers(
      SagaRepository& sagas, SagaMetrics& metrics, SagaPolicy policy,
      std::function<TimePoint()> clock = [] { return Clock::now(); });
  void on_order_placed(commerce::store::MessageContext& ctx);  // order.OrderPlaced
  void on_reply(commerce::store::MessageContext& ctx);         // every event the saga follows

 private:
  SagaRepository& sagas_;
  SagaMetrics& metrics_;
  SagaPolicy policy_;
  std::function<TimePoint()> clock_;
};

// "<agent>.<Name>" -> commerce.<agent>.commands
std::string command_topic(const std::string& type);

}  // namespace orchestration
