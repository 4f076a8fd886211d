#include "../src/consumer_metrics.hpp"

#include <gtest/gtest.h>

using commerce::bus::Message;
using commerce::bus::detail::ConsumerMetrics;
using commerce::bus::detail::message_type_label;

namespace {

Message typed(const std::string& topic, const std::string& type) {
  Message m;
  m.topic = topic;
  m.headers = {{"message_id", "m1"}, {"type", type}};
  return m;
}

bool has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace

TEST(MessageTypeLabel, KnownTypesOnlyOthersAreOther) {
  const std::set<std::string> known{"order.OrderPlaced"};
  EXPECT_EQ(message_type_label(typed("t", "order.OrderPlaced"), known), "order.OrderPlaced");
  EXPECT_EQ(message_type_label(typed("t", "evil.Type-123"), known), "other");
  Message bare;
  EXPECT_EQ(message_type_label(bare, known), "other") << "no type header";
}

TEST(ConsumerMetrics, KnownSeriesExistAtZeroBeforeAnyFailure) {
  commerce::metrics::Registry r;
  ConsumerMetrics m(r, {"commerce.order.events"}, {"order.OrderPlaced"});
  const auto text = r.render();
  EXPECT_TRUE(has(text, "bus_messages_consumed_total{topic=\"commerce.order.events\"} 0")) << text;
  EXPECT_TRUE(has(text, "bus_messages_dead_lettered_total{type=\"order.OrderPlaced\"} 0")) << text;
  EXPECT_TRUE(has(text, "bus_messages_dead_lettered_total{type=\"other\"} 0")) << text;
  EXPECT_TRUE(has(text, "bus_messages_retried_total{type=\"order.OrderPlaced\"} 0")) << text;
  EXPECT_TRUE(
      has(text, "bus_messages_failed_total{type=\"order.OrderPlaced\",kind=\"transient\"} 0"))
      << text;
  EXPECT_TRUE(has(text, "bus_messages_failed_total{type=\"other\",kind=\"permanent\"} 0")) << text;
  EXPECT_TRUE(has(text, "bus_batch_duration_seconds_count 0")) << text;
}

TEST(ConsumerMetrics, CountsPerTypeAndTopicAndLagPerPartition) {
  commerce::metrics::Registry r;
  ConsumerMetrics m(r, {"commerce.order.events"}, {"order.OrderPlaced"});
  const std::vector<Message> batch{typed("commerce.order.events", "order.OrderPlaced"),
                                   typed("commerce.order.events", "order.Unknown")};
  m.consumed(batch);
  m.failed(batch, /*transient=*/true);
  m.retried(batch);
  m.failed(std::span<const Message>(&batch[1], 1), /*transient=*/false);
  m.dead_lettered(batch[1]);
  m.lag("commerce.order.events", 3, 42);
  const auto text = r.render();
  EXPECT_TRUE(has(text, "bus_messages_consumed_total{topic=\"commerce.order.events\"} 2")) << text;
  EXPECT_TRUE(
      has(text, "bus_messages_failed_total{type=\"order.OrderPlaced\",kind=\"transient\"} 1"))
      << text;
  EXPECT_TRUE(has(text, "bus_messages_failed_total{type=\"other\",kind=\"transient\"} 1")) << text;
  EXPECT_TRUE(has(text, "bus_messages_failed_total{type=\"other\",kind=\"permanent\"} 1")) << text;
  EXPECT_TRUE(has(text, "bus_messages_retried_total{type=\"order.OrderPlaced\"} 1")) << text;
  EXPECT_TRUE(has(text, "bus_messages_dead_lettered_total{type=\"other\"} 1")) << text;
  EXPECT_TRUE(has(text, "bus_messages_dead_lettered_total{type=\"order.OrderPlaced\"} 0")) << text;
  EXPECT_TRUE(
      has(text, "bus_consumer_lag_messages{topic=\"commerce.order.events\",partition=\"3\"} 42"))
      << text;
}
