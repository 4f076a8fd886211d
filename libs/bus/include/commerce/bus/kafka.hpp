#pragma once
// Kafka producer and consumer over librdkafka. Each runs its own polling thread; nothing here
// blocks an io_context.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "commerce/metrics/fwd.hpp"

namespace commerce::bus {

struct BusConfig {
  std::string brokers;    // bootstrap.servers
  std::string client_id;  // agent name (+ instance)
  // Extra librdkafka properties, applied last (e.g. "linger.ms").
  std::map<std::string, std::string> properties;
};

struct Message {
  std::string topic;
  std::int32_t partition = -1;
  std::int64_t offset = -1;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Throw from a handler for a failure that may pass (database down, deadlock): retried with
// backoff, the message is not skipped. Any other exception means the message can never succeed
// and it goes to the dead-letter topic.
class TransientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Idempotent producer (enable.idempotence=true, acks=all). A fatal producer error is logged
// and aborts the process: nothing sensible can continue.
class Producer {
 public:
  explicit Producer(const BusConfig& config);
  ~Producer();  // flushes (bounded) then destroys
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  using DeliveryCallback = std::function<void(bool delivered, const std::string& error)>;
  // Queues the message; `on_delivery` runs on the producer's poll thread once the broker
  // acknowledged it (or delivery finally failed).
  void produce(OutgoingMessage message, DeliveryCallback on_delivery = {});
  // Produces a batch and waits until every message is acknowledged. Returns false (and the
  // first error) if any failed or the timeout passed.
  bool produce_and_wait(std::vector<OutgoingMessage> messages, std::chrono::milliseconds timeout,
                        std::string* error = nullptr);
  bool flush(std::chrono::milliseconds timeout);
  // Broker reachable (metadata request answered within timeout).
  bool reachable(std::chrono::milliseconds timeout);
  // The configuration librdkafka runs with (global and default topic properties, as resolved),
  // so a test can read it back and fail on drift.
  std::map<std::string, std::string> effective_config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ConsumerOptions {
  std::string group;  // consumer group = agent name
  std::vector<std::string> topics;
  std::string dead_letter_topic;            // commerce.<agent>.dlq
  std::size_t max_batch = 256;              // messages handed to one handler call
  std::chrono::milliseconds batch_wait{1};  // how long to gather a batch once one message is in
  // Under load, the least time from one batch to the next (0: none): fewer, larger batches, so
  // fewer transactions, relay rounds and broker requests. It applies while messages came at
  // least four per interval over the last second; a trickle waits only batch_wait.
  std::chrono::milliseconds batch_interval{0};
  // Partitions of one batch handled concurrently, in this many lanes (each lane keeps whole
  // partitions, so order per partition holds). The handler must be thread-safe when > 1.
  std::size_t lanes = 1;
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  metrics::Registry* metrics = nullptr;  // messages handled/failed/retried/dead-lettered, lag
  // The message types the handler knows (the `type` header): the bounded values of the type
  // label; messages of any other type count as "other".
  std::vector<std::string> message_types;
};

// Handles a batch of messages from one partition or more, in offset order per partition.
// Implementations do their work in one database transaction and return after it commits.
using BatchHandler = std::function<void(std::span<const Message> batch)>;

// Consumer group member that commits offsets only after the handler returned. On a
// TransientError the batch is retried with backoff (polling continues so the member keeps its
// place in the group); on any other error the batch is replayed one message at a time, and the
// messages that still fail are dead-lettered with the error and their original topic,
// partition and offset, so the partition keeps flowing.
class Consumer {
 public:
  Consumer(const BusConfig& config, ConsumerOptions options, BatchHandler handler,
           Producer& dead_letters);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  void start();  // subscribes and starts the polling thread
  // Finishes the batch in hand, commits, leaves the group, closes. Idempotent.
  void stop();
  bool running() const;
  // The configuration librdkafka runs with (see Producer::effective_config).
  std::map<std::string, std::string> effective_config() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Dead-letter headers, on the dead-letter copy of a message.
inline constexpr const char* kDlqError = "dlq.error";
inline constexpr const char* kDlqTopic = "dlq.original.topic";
inline constexpr const char* kDlqPartition = "dlq.original.partition";
inline constexpr const char* kDlqOffset = "dlq.original.offset";

}  // namespace commerce::bus
