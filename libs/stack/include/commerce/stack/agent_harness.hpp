#pragma once
// Test support shared by the agents' integration tests: a consumer that records every envelope
// published on some topics, and a producer of envelopes that waits for the broker's ack.
// No test framework here: failures are exceptions or return values.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "commerce/bus/envelope.hpp"

namespace commerce::bus {
class Consumer;
class Producer;
}  // namespace commerce::bus

namespace commerce::stack {

struct ReceivedEvent {
  std::string topic;
  std::string key;
  bus::Envelope envelope;
};

// Everything published on `topics` since the start of each topic, read by a fresh group.
class EventCollector {
 public:
  EventCollector(const std::string& brokers, std::vector<std::string> topics,
                 const std::string& client_id = "test-reader");
  ~EventCollector();
  EventCollector(const EventCollector&) = delete;
  EventCollector& operator=(const EventCollector&) = delete;

  using Predicate = std::function<bool(const ReceivedEvent&)>;
  // Received so far that satisfy `pred`, in arrival order.
  std::vector<ReceivedEvent> matching(const Predicate& pred) const;
  std::vector<ReceivedEvent> all() const;
  // Waits until one received event satisfies `pred`; returns the first such, or nullopt.
  std::optional<ReceivedEvent> wait_for(const Predicate& pred, std::chrono::milliseconds timeout);

  // Received whose payload has `field` equal to `value`, in arrival order.
  std::vector<ReceivedEvent> about(const std::string& field, const std::string& value) const;
  // Envelopes of `type` whose payload has `field` equal to `value`, in arrival order.
  std::vector<bus::Envelope> envelopes(const std::string& type, const std::string& field,
                                       const std::string& value) const;

  // Messages of `type` about `order_id` (payload.order_id), in arrival order.
  std::vector<ReceivedEvent> of(const std::string& type, const std::string& order_id) const;
  std::size_t count(const std::string& type, const std::string& order_id) const {
    return of(type, order_id).size();
  }
  // Distinct message ids of `type` about `order_id` (a re-decision, not a redelivery).
  std::size_t distinct(const std::string& type, const std::string& order_id) const;
  // The first message of `type` about `order_id`, waiting up to `timeout`.
  std::optional<ReceivedEvent> await(const std::string& type, const std::string& order_id,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

 private:
  std::unique_ptr<bus::Producer> dead_letters_;
  std::unique_ptr<bus::Consumer> consumer_;
  mutable std::mutex mutex_;
  std::vector<ReceivedEvent> received_;
};

// Produces envelopes and waits for the broker's acknowledgement; throws std::runtime_error
// when the broker does not acknowledge.
class EnvelopePublisher {
 public:
  explicit EnvelopePublisher(const std::string& brokers,
                             const std::string& client_id = "test-publisher");
  ~EnvelopePublisher();
  EnvelopePublisher(const EnvelopePublisher&) = delete;
  EnvelopePublisher& operator=(const EnvelopePublisher&) = delete;

  bus::Envelope publish(const std::string& topic, const std::string& key, const std::string& type,
                        const std::string& merchant_id, nlohmann::json payload);
  void publish(const std::string& topic, const std::string& key, const bus::Envelope& envelope);
  // A raw value (possibly not an envelope at all), to exercise poison-message handling.
  void publish_raw(const std::string& topic, const std::string& key, const std::string& value);

 private:
  std::unique_ptr<bus::Producer> producer_;
};

}  // namespace commerce::stack
