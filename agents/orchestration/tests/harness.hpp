#pragma once
// Integration-test plumbing: a plain consumer that records what lands on topics, a producer of
// envelopes, and waiting on observable effects with a deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/kafka.hpp"
#include "commerce/stack/stack.hpp"

namespace harness {

using namespace std::chrono_literals;

struct Received {
  std::string topic;
  std::string key;
  commerce::bus::Envelope envelope;
};

// Everything published on `topics` since the start of the topic, read by our own group.
class TopicLog {
 public:
  TopicLog(const std::string& brokers, std::vector<std::string> topics)
      : dead_letters_(commerce::bus::BusConfig{brokers, "test-dlq", {}}) {
    commerce::bus::ConsumerOptions options;
    options.group = commerce::stack::unique_name("test_reader");
    options.topics = std::move(topics);
    options.dead_letter_topic = "commerce.test-reader.dlq";
    consumer_ = std::make_unique<commerce::bus::Consumer>(
        commerce::bus::BusConfig{brokers, "test-reader", {{"auto.offset.reset", "earliest"}}},
        options,
        [this](std::span<const commerce::bus::Message> batch) {
          std::lock_guard lock(mutex_);
          for (const auto& m : batch) {
            received_.push_back({m.topic, m.key, commerce::bus::parse_envelope(m.value)});
          }
        },
        dead_letters_);
    consumer_->start();
  }
  ~TopicLog() { consumer_->stop(); }

  // Messages of `type` about `order_id` (payload.order_id), in arrival order.
  std::vector<Received> of(const std::string& type, const std::string& order_id) {
    std::lock_guard lock(mutex_);
    std::vector<Received> out;
    for (const auto& r : received_) {
      if (r.envelope.type == type && r.envelope.payload.value("order_id", "") == order_id) {
        out.push_back(r);
      }
    }
    return out;
  }
  // Types about `order_id`, in arrival order.
  std::vector<std::string> types_for(const std::string& order_id) {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& r : received_) {
      if (r.envelope.payload.value("order_id", "") == order_id) out.push_back(r.envelope.type);
    }
    return out;
  }
  // Distinct message ids of `type` about `order_id` (a re-decision, not a redelivery).
  std::size_t distinct(const std::string& type, const std::string& order_id) {
    std::set<std::string> ids;
    for (const auto& r : of(type, order_id)) ids.insert(r.envelope.id);
    return ids.size();
  }
  // Waits until at least one message of `type` about `order_id` arrived; returns the first.
  std::optional<Received> await(const std::string& type, const std::string& order_id,
                                std::chrono::milliseconds timeout = 20s) {
    std::optional<Received> found;
    commerce::stack::wait_until(
        [&] {
          auto all = of(type, order_id);
          if (all.empty()) return false;
          found = all.front();
          return true;
        },
        timeout);
    return found;
  }

 private:
  commerce::bus::Producer dead_letters_;
  std::unique_ptr<commerce::bus::Consumer> consumer_;
  std::mutex mutex_;
  std::vector<Received> received_;
};

// Produces envelopes and waits for the broker's acknowledgement.
class Publisher {
 public:
  explicit Publisher(const std::string& brokers)
      : producer_(commerce::bus::BusConfig{brokers, "test-publisher", {}}) {}
  commerce::bus::Envelope publish(const std::string& topic, const std::string& key,
                                  const std::string& type, const std::string& merchant_id,
                                  nlohmann::json payload) {
    auto envelope = commerce::bus::make_envelope(type, merchant_id, std::move(payload));
    publish(topic, key, envelope);
    return envelope;
  }
  void publish(const std::string& topic, const std::string& key,
               const commerce::bus::Envelope& envelope) {
    std::string error;
    const bool ok = producer_.produce_and_wait(
        {commerce::bus::OutgoingMessage{topic, key, commerce::bus::to_json_string(envelope), {}}},
        10s, &error);
    if (!ok) throw std::runtime_error("produce failed: " + error);
  }

 private:
  commerce::bus::Producer producer_;
};

}  // namespace harness
