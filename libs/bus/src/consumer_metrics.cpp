#include "consumer_metrics.hpp"

namespace commerce::bus::detail {

std::string message_type_label(const Message& message, const std::set<std::string>& known) {
  for (const auto& [name, value] : message.headers) {
    if (name == "type") return known.count(value) != 0 ? value : "other";
  }
  return "other";
}

ConsumerMetrics::ConsumerMetrics(metrics::Registry& registry,
                                 const std::vector<std::string>& topics,
                                 const std::vector<std::string>& message_types)
    : known_(message_types.begin(), message_types.end()),
      consumed_(registry.counter("bus_messages_consumed_total",
                                 "Messages handled and committed, including skipped types",
                                 {"topic"})),
      failed_(registry.counter("bus_messages_failed_total",
                               "Messages whose handling failed: transient (retried) or permanent "
                               "(dead-lettered)",
                               {"type", "kind"})),
      retried_(registry.counter("bus_messages_retried_total",
                                "Messages handed to the handler again after a transient failure",
                                {"type"})),
      dead_lettered_(registry.counter("bus_messages_dead_lettered_total",
                                      "Messages that could never be handled, sent to the DLQ",
                                      {"type"})),
      batch_duration_(
          registry.histogram("bus_batch_duration_seconds", "Time the handler took for one batch")),
      lag_(registry.gauge("bus_consumer_lag_messages",
                          "High watermark minus the consumer position, per assigned partition",
                          {"topic", "partition"})) {
  for (const auto& topic : topics) consumed_.with({topic});
  std::vector<std::string> labels(message_types.begin(), message_types.end());
  labels.push_back("other");
  for (const auto& type : labels) {
    failed_.with({type, "transient"});
    failed_.with({type, "permanent"});
    retried_.with({type});
    dead_lettered_.with({type});
  }
  batch_duration_.with();
}

void ConsumerMetrics::consumed(std::span<const Message> messages) {
  for (const auto& m : messages) consumed_.with({m.topic}).inc();
}

void ConsumerMetrics::failed(std::span<const Message> messages, bool transient) {
  for (const auto& m : messages) {
    failed_.with({message_type_label(m, known_), transient ? "transient" : "permanent"}).inc();
  }
}

void ConsumerMetrics::retried(std::span<const Message> messages) {
  for (const auto& m : messages) retried_.with({message_type_label(m, known_)}).inc();
}

void ConsumerMetrics::dead_lettered(const Message& message) {
  dead_lettered_.with({message_type_label(message, known_)}).inc();
}

void ConsumerMetrics::batch_took(double seconds) { batch_duration_.with().observe(seconds); }

void ConsumerMetrics::lag(const std::string& topic, std::int32_t partition, std::int64_t messages) {
  lag_.with({topic, std::to_string(partition)}).set(static_cast<double>(messages));
}

}  // namespace commerce::bus::detail
