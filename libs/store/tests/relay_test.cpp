// The relay against librdkafka's in-process mock cluster, which speaks the Kafka protocol.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "commerce/metrics/registry.hpp"
#include "store_fixture.hpp"

namespace commerce::store {
namespace {

using testing::provision_migrated;

struct MockCluster {
  rd_kafka_t* host = nullptr;
  rd_kafka_mock_cluster_t* cluster = nullptr;
  std::string bootstrap;

  MockCluster() {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!host) throw std::runtime_error(err);
    cluster = rd_kafka_mock_cluster_new(host, 1);
    if (!cluster) throw std::runtime_error("mock cluster failed");
    bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(host);
  }
  void create_topic(const std::string& topic) {
    rd_kafka_mock_topic_create(cluster, topic.c_str(), 1, 1);
  }
};

struct Received {
  std::string key;
  std::string value;
  std::map<std::string, std::string> headers;
};

// Reads partition 0 of `topic` from the beginning until `count` messages or the deadline.
class TopicReader {
 public:
  TopicReader(const std::string& bootstrap, const std::string& topic) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "group.id", stack::unique_name("reader").c_str(), err, sizeof err);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk_) throw std::runtime_error(err);
    rd_kafka_poll_set_consumer(rk_);
    auto* parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic.c_str(), 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk_, parts);
    rd_kafka_topic_partition_list_destroy(parts);
  }
  ~TopicReader() {
    rd_kafka_consumer_close(rk_);
    rd_kafka_destroy(rk_);
  }
  // Reads until `count` messages in total were received, or the deadline passed.
  const std::vector<Received>& read(std::size_t count, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (received_.size() < count && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, 100);
      if (!m) continue;
      if (!m->err) {
        Received r;
        if (m->key) r.key.assign(static_cast<const char*>(m->key), m->key_len);
        if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
        rd_kafka_headers_t* hdrs = nullptr;
        if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
          const char* name;
          const void* value;
          size_t size;
          for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &value, &size); ++i) {
            r.headers[name] = std::string(static_cast<const char*>(value), size);
          }
        }
        received_.push_back(std::move(r));
      }
      rd_kafka_message_destroy(m);
    }
    return received_;
  }

 private:
  rd_kafka_t* rk_ = nullptr;
  std::vector<Received> received_;
};

std::vector<bus::Envelope> append(const std::string& url, const std::string& topic, int count,
                                  const std::string& key_prefix = "order-") {
  std::vector<bus::Envelope> out;
  ConnectionPool pool(url, 1);
  pool.transact([&](pqxx::work& tx) {
    for (int i = 0; i < count; ++i) {
      auto e = bus::make_envelope("orders.OrderPlaced", "m-1", {{"n", i}});
      append_outbox(tx, topic, key_prefix + std::to_string(i % 3), e);
      out.push_back(e);
    }
  });
  return out;
}

// The relay's session advisory lock, held by a connection of the agent's role.
bool relay_lock_held(const std::string& role) {
  return testing::query_value(testing::admin_url(),
                              "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a "
                              "ON a.pid = l.pid WHERE l.locktype = 'advisory' AND a.usename = '" +
                                  role + "'") > 0;
}

bus::BusConfig producer_config(const std::string& brokers) {
  bus::BusConfig config;
  config.brokers = brokers;
  config.client_id = stack::unique_name("relay_test");
  return config;
}

TEST(OutboxRelay, PublishesInIdOrderWithHeadersAndDeletesWhatWasAcknowledged) {
  MockCluster kafka;
  const auto topic = stack::unique_name("commerce.orders.events");
  kafka.create_topic(topic);
  auto db = provision_migrated("relay");
  auto sent = append(db.url, topic, 4);
  auto more = append(db.url, topic, 6);
  sent.insert(sent.end(), more.begin(), more.end());

  bus::Producer producer(producer_config(kafka.bootstrap));
  metrics::Registry registry;
  RelayOptions options;
  options.batch = 3;  // several full batches in a row
  OutboxRelay relay(db.url, producer, &registry, options);
  relay.start();

  TopicReader reader(kafka.bootstrap, topic);
  const auto& got = reader.read(sent.size(), std::chrono::seconds(30));
  ASSERT_EQ(got.size(), sent.size());
  for (std::size_t i = 0; i < sent.size(); ++i) {
    auto e = bus::parse_envelope(got[i].value);
    EXPECT_EQ(e.id, sent[i].id) << "at " << i;
    EXPECT_EQ(got[i].key, "order-" + std::to_string(sent[i].payload["n"].get<int>() % 3));
    EXPECT_EQ(got[i].headers.at("message_id"), sent[i].id);
    EXPECT_EQ(got[i].headers.at("type"), "orders.OrderPlaced");
    EXPECT_EQ(got[i].headers.at("traceparent"), sent[i].traceparent);
  }
  EXPECT_TRUE(
      stack::wait_until([&] { return relay.backlog().rows == 0; }, std::chrono::seconds(10)));
  EXPECT_TRUE(stack::wait_until(
      [&] { return registry.counter("outbox_published_total", "").with().value() == 10.0; },
      std::chrono::seconds(10)));
  relay.stop();
}

struct CountingListener : pqxx::notification_receiver {
  using pqxx::notification_receiver::notification_receiver;
  int received = 0;
  void operator()(const std::string&, int) override { ++received; }
};

// A relay that polls only every five minutes, started, holding its lock, with a reader of its
// topic: only a wake-up gets it going in time.
struct SleepingRelay {
  MockCluster kafka;
  std::string topic = stack::unique_name("commerce.orders.events");
  testing::AgentDb db = provision_migrated("relay");
  bus::Producer producer{producer_config(kafka.bootstrap)};
  OutboxRelay relay{db.url, producer, nullptr, [] {
                      RelayOptions options;
                      options.idle_poll = std::chrono::minutes(5);
                      return options;
                    }()};
  std::unique_ptr<TopicReader> reader;

  SleepingRelay() {
    kafka.create_topic(topic);
    relay.start();
    reader = std::make_unique<TopicReader>(kafka.bootstrap, topic);
    // The relay has published everything (nothing) and sleeps once it holds its lock.
    EXPECT_TRUE(
        stack::wait_until([&] { return relay_lock_held(db.role); }, std::chrono::seconds(10)));
  }
  ~SleepingRelay() { relay.stop(); }
};

TEST(OutboxRelay, IsWokenByTheCommitsOfItsProcessRatherThanPolling) {
  SleepingRelay r;
  auto sent = append(r.db.url, r.topic, 1);
  ASSERT_EQ(r.reader->read(1, std::chrono::seconds(20)).size(), 1u);
  // It registered for in-process wake-ups before its first read, so from here commits of this
  // process send no NOTIFY (which would signal every listening backend).
  pqxx::connection listening(r.db.url);
  CountingListener notifications(listening, "outbox_" + r.db.role);
  auto more = append(r.db.url, r.topic, 1);  // after a publish: the wait starts over
  const auto& got = r.reader->read(2, std::chrono::seconds(20));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(bus::parse_envelope(got[0].value).id, sent[0].id);
  EXPECT_EQ(bus::parse_envelope(got[1].value).id, more[0].id);
  listening.get_notifs();
  EXPECT_EQ(notifications.received, 0);
}

TEST(OutboxRelay, IsWokenByTheNotifyOfAnotherInstancesCommit) {
  SleepingRelay r;
  // What a standing-by instance's commit sends (another process: no in-process wake-up).
  const auto envelope = bus::make_envelope("orders.OrderPlaced", "m-1", {{"n", 1}});
  {
    pqxx::connection other(r.db.url);
    pqxx::work tx(other);
    tx.exec_params(
        "INSERT INTO outbox(topic, key, message_id, payload, headers) VALUES ($1, 'k', $2, $3, "
        "'{}')",
        r.topic, envelope.id, bus::to_json_string(envelope));
    tx.exec("SELECT " + outbox_notify_sql());
    tx.commit();
  }
  const auto& got = r.reader->read(1, std::chrono::seconds(20));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(bus::parse_envelope(got[0].value).id, envelope.id);
}

TEST(OutboxRelay, KeepsRowsTheBrokerNeverAcknowledged) {
  auto db = provision_migrated("relay");
  append(db.url, "commerce.orders.events", 3);
  auto config = producer_config("127.0.0.1:" + std::to_string(stack::free_port()));
  config.properties["message.timeout.ms"] = "500";
  bus::Producer producer(config);
  metrics::Registry registry;
  RelayOptions options;
  options.publish_timeout = std::chrono::seconds(2);
  OutboxRelay relay(db.url, producer, &registry, options);
  relay.start();
  ASSERT_TRUE(stack::wait_until(
      [&] { return registry.counter("outbox_publish_failures_total", "").with().value() >= 2; },
      std::chrono::seconds(30)));
  EXPECT_EQ(relay.backlog().rows, 3);
  EXPECT_EQ(registry.counter("outbox_published_total", "").with().value(), 0.0);
  const auto before = std::chrono::steady_clock::now();
  relay.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(10));
  EXPECT_EQ(relay.backlog().rows, 3);
}

TEST(OutboxRelay, OneRelayPerAgentAndAStandbyTakesOver) {
  MockCluster kafka;
  const auto topic = stack::unique_name("commerce.orders.events");
  kafka.create_topic(topic);
  auto db = provision_migrated("relay");
  bus::Producer producer(producer_config(kafka.bootstrap));
  metrics::Registry first_metrics, second_metrics;
  auto first = std::make_unique<OutboxRelay>(db.url, producer, &first_metrics);
  OutboxRelay second(db.url, producer, &second_metrics);
  first->start();
  ASSERT_TRUE(
      stack::wait_until([&] { return relay_lock_held(db.role); }, std::chrono::seconds(10)));
  second.start();
  append(db.url, topic, 5);
  TopicReader reader(kafka.bootstrap, topic);
  ASSERT_EQ(reader.read(5, std::chrono::seconds(20)).size(), 5u);
  EXPECT_TRUE(
      stack::wait_until([&] { return first->backlog().rows == 0; }, std::chrono::seconds(10)));
  EXPECT_EQ(first_metrics.counter("outbox_published_total", "").with().value(), 5.0);
  EXPECT_EQ(second_metrics.counter("outbox_published_total", "").with().value(), 0.0);

  first->stop();  // the standby gets the lock within its retry interval
  first.reset();
  append(db.url, topic, 2);
  const auto& got = reader.read(7, std::chrono::seconds(20));
  EXPECT_EQ(got.size(), 7u);
  EXPECT_TRUE(stack::wait_until(
      [&] { return second_metrics.counter("outbox_published_total", "").with().value() == 2.0; },
      std::chrono::seconds(10)));
  second.stop();
}

}  // namespace
}  // namespace commerce::store
