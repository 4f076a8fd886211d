#pragma once
// The consumer's metrics, kept apart from librdkafka so unit tests can reach them.
// Per message type (from the relay's `type` header): failed, retried, dead-lettered; per topic:
// consumed; per partition: lag. Type label values come from a fixed list (the types the agent
// handles) so a foreign producer cannot grow the series; anything else counts as "other".
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "commerce/bus/kafka.hpp"
#include "commerce/metrics/registry.hpp"

namespace commerce::bus::detail {

// The label for a message's type: its `type` header when it is one of `known`, else "other".
std::string message_type_label(const Message& message, const std::set<std::string>& known);

class ConsumerMetrics {
 public:
  // Registers the families and sets every known type (and "other") and every topic to 0, so
  // dashboards and alerts see the series before the first failure.
  ConsumerMetrics(metrics::Registry& registry, const std::vector<std::string>& topics,
                  const std::vector<std::string>& message_types);

  void consumed(std::span<const Message> messages);
  void failed(std::span<const Message> messages, bool transient);
  void retried(std::span<const Message> messages);
  void dead_lettered(const Message& message);
  void batch_took(double seconds);
  void lag(const std::string& topic, std::int32_t partition, std::int64_t messages);

 private:
  std::set<std::string> known_;
  metrics::Family<metrics::Counter>& consumed_;
  metrics::Family<metrics::Counter>& failed_;
  metrics::Family<metrics::Counter>& retried_;
  metrics::Family<metrics::Counter>& dead_lettered_;
  metrics::Family<metrics::Histogram>& batch_duration_;
  metrics::Family<metrics::Gauge>& lag_;
};

}  // namespace commerce::bus::detail
