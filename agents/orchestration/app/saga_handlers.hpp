#pragma once
// The PlaceOrder saga's message handler. It takes a whole consumed batch inside the
// dispatcher's transaction: the batch's sagas are read and locked in one statement, each
// message goes through the pure domain in order, and the sagas' new states, their steps and the
// commands they emit are written with the inbox entries of the messages that caused them.
#include <functional>
#include <map>
#include <span>

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
  // order.OrderPlaced and every answer the saga follows (kFollowedTypes).
  void on_batch(std::span<commerce::store::MessageContext> messages);

 private:
  struct Working;  // the batch's sagas as the messages move them
  void start(commerce::store::MessageContext& ctx, Working& working, TimePoint now);
  void answer(commerce::store::MessageContext& ctx, Working& working, TimePoint now);

  SagaRepository& sagas_;
  SagaMetrics& metrics_;
  SagaPolicy policy_;
  std::function<TimePoint()> clock_;
};

// What the saga handles: the event that starts it and the answers it follows.
inline constexpr const char* kOrderPlaced = "order.OrderPlaced";
inline constexpr const char* kFollowedTypes[] = {
    "inventory.StockReserved", "inventory.StockReservationFailed",
    "inventory.StockReleased", "payment.PaymentAuthorized",
    "payment.PaymentDeclined", "payment.PaymentVoided",
    "order.OrderConfirmed",    "order.OrderCancelled"};

// "<agent>.<Name>" -> commerce.<agent>.commands
std::string command_topic(const std::string& type);

}  // namespace orchestration
