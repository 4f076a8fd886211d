#include "commerce/stack/agent_harness.hpp"

#include <nlohmann/json.hpp>
#include <set>
#include <span>
#include <stdexcept>

#include "commerce/bus/kafka.hpp"
#include "commerce/stack/stack.hpp"

namespace commerce::stack {

EventCollector::EventCollector(const std::string& brokers, std::vector<std::string> topics,
                               const std::string& client_id)
    : dead_letters_(
          std::make_unique<bus::Producer>(bus::BusConfig{brokers, client_id + "-dlq", {}})) {
  bus::ConsumerOptions options;
  options.group = unique_name("test_reader");
  options.topics = std::move(topics);
  options.dead_letter_topic = "commerce." + client_id + ".dlq";
  consumer_ = std::make_unique<bus::Consumer>(
      bus::BusConfig{brokers, client_id, {{"auto.offset.reset", "earliest"}}}, options,
      [this](std::span<const bus::Message> batch) {
        std::lock_guard lock(mutex_);
        for (const auto& m : batch) {
          received_.push_back({m.topic, m.key, bus::parse_envelope(m.value)});
        }
      },
      *dead_letters_);
  consumer_->start();
}

EventCollector::~EventCollector() { consumer_->stop(); }

std::vector<ReceivedEvent> EventCollector::matching(const Predicate& pred) const {
  std::lock_guard lock(mutex_);
  std::vector<ReceivedEvent> out;
  for (const auto& r : received_) {
    if (pred(r)) out.push_back(r);
  }
  return out;
}

std::vector<ReceivedEvent> EventCollector::all() const {
  std::lock_guard lock(mutex_);
  return received_;
}

std::optional<ReceivedEvent> EventCollector::wait_for(const Predicate& pred,
                                                      std::chrono::milliseconds timeout) {
  std::optional<ReceivedEvent> found;
  wait_until(
      [&] {
        auto hits = matching(pred);
        if (hits.empty()) return false;
        found = hits.front();
        return true;
      },
      timeout);
  return found;
}

std::vector<ReceivedEvent> EventCollector::about(const std::string& field,
                                                 const std::string& value) const {
  return matching(
      [&](const ReceivedEvent& r) { return r.envelope.payload.value(field, "") == value; });
}

std::vector<bus::Envelope> EventCollector::envelopes(const std::string& type,
                                                     const std::string& field,
                                                     const std::string& value) const {
  std::vector<bus::Envelope> out;
  for (auto& r : matching([&](const ReceivedEvent& r) {
         return r.envelope.type == type && r.envelope.payload.value(field, "") == value;
       })) {
    out.push_back(std::move(r.envelope));
  }
  return out;
}

std::vector<ReceivedEvent> EventCollector::of(const std::string& type,
                                              const std::string& order_id) const {
  return matching([&](const ReceivedEvent& r) {
    return r.envelope.type == type && r.envelope.payload.value("order_id", "") == order_id;
  });
}

std::size_t EventCollector::distinct(const std::string& type, const std::string& order_id) const {
  std::set<std::string> ids;
  for (const auto& r : of(type, order_id)) ids.insert(r.envelope.id);
  return ids.size();
}

std::optional<ReceivedEvent> EventCollector::await(const std::string& type,
                                                   const std::string& order_id,
                                                   std::chrono::milliseconds timeout) {
  return wait_for(
      [&](const ReceivedEvent& r) {
        return r.envelope.type == type && r.envelope.payload.value("order_id", "") == order_id;
      },
      timeout);
}

EnvelopePublisher::EnvelopePublisher(const std::string& brokers, const std::string& client_id)
    : producer_(std::make_unique<bus::Producer>(bus::BusConfig{brokers, client_id, {}})) {}

EnvelopePublisher::~EnvelopePublisher() = default;

bus::Envelope EnvelopePublisher::publish(const std::string& topic, const std::string& key,
                                         const std::string& type, const std::string& merchant_id,
                                         nlohmann::json payload) {
  auto envelope = bus::make_envelope(type, merchant_id, std::move(payload));
  publish(topic, key, envelope);
  return envelope;
}

void EnvelopePublisher::publish(const std::string& topic, const std::string& key,
                                const bus::Envelope& envelope) {
  publish_raw(topic, key, bus::to_json_string(envelope));
}

void EnvelopePublisher::publish_raw(const std::string& topic, const std::string& key,
                                    const std::string& value) {
  std::string error;
  const bool ok = producer_->produce_and_wait({bus::OutgoingMessage{topic, key, value, {}}},
                                              std::chrono::seconds(10), &error);
  if (!ok) throw std::runtime_error("produce failed: " + error);
}

}  // namespace commerce::stack
