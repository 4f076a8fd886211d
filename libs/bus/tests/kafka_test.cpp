// Producer and Consumer against a real Kafka-protocol broker: librdkafka's mock cluster, started
// in-process by the fixture, on loopback. Every test uses its own topics and group.
#include "commerce/bus/kafka.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "commerce/log/log.hpp"
#include "commerce/metrics/registry.hpp"

namespace commerce::bus {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Waits for an observable effect, polling `done` until it holds or the deadline passes. The
// deadline is generous: a group join on the development broker takes 3 s alone and, with the
// whole suite running beside it in CI, once took more than 30 s before the first assignment.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout = 60s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

std::string unique(const std::string& stem) {
  static std::mt19937_64 rng{std::random_device{}()};
  return stem + "-" + std::to_string(rng() % 1000000000);
}

// A mock cluster hosted by a throwaway client handle.
class MockCluster {
 public:
  explicit MockCluster(int brokers = 1) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
    host_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (host_ == nullptr) throw std::runtime_error(error);
    cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
    if (cluster_ == nullptr) throw std::runtime_error("mock cluster did not start");
  }
  ~MockCluster() {
    rd_kafka_mock_cluster_destroy(cluster_);
    rd_kafka_destroy(host_);
  }
  std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const std::string& name, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, name.c_str(), partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  rd_kafka_t* host_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// Thread-safe record of what a handler saw.
class Seen {
 public:
  void add(std::span<const Message> batch) {
    std::lock_guard lock(mutex_);
    messages_.insert(messages_.end(), batch.begin(), batch.end());
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return messages_.size();
  }
  std::vector<Message> all() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::multiset<std::string> values() const {
    std::multiset<std::string> out;
    for (const auto& m : all()) out.insert(m.value);
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Message> messages_;
};

std::string header(const Message& m, const std::string& name) {
  for (const auto& [k, v] : m.headers) {
    if (k == name) return v;
  }
  return "(absent)";
}

// When each batch was handed to the handler, and how many messages it held.
class BatchLog {
 public:
  using Clock = std::chrono::steady_clock;
  void add(std::size_t size) {
    std::lock_guard lock(mutex_);
    batches_.push_back({Clock::now(), size});
    messages_ += size;
  }
  std::size_t messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<std::pair<Clock::time_point, std::size_t>> batches() const {
    std::lock_guard lock(mutex_);
    return batches_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::pair<Clock::time_point, std::size_t>> batches_;
  std::size_t messages_ = 0;
};

class KafkaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("KAFKA_DEBUG") != nullptr) log::init("test", "debug");
    topic_ = unique("bus-test");
    dlq_ = topic_ + ".dlq";
    group_ = unique("group");
    cluster_.create_topic(topic_, 4);
    cluster_.create_topic(dlq_, 1);
    producer_ = std::make_unique<Producer>(config("test-producer"));
  }

  BusConfig config(const std::string& client) const {
    BusConfig c{cluster_.bootstrap(), client, {}};
    // KAFKA_DEBUG=cgrp,fetch (librdkafka debug contexts) when a test needs a closer look.
    if (const char* contexts = std::getenv("KAFKA_DEBUG")) c.properties["debug"] = contexts;
    return c;
  }

  ConsumerOptions options() const {
    ConsumerOptions o;
    o.group = group_;
    o.topics = {topic_};
    o.dead_letter_topic = dlq_;
    o.backoff_initial = 20ms;
    o.backoff_max = 200ms;
    return o;
  }

  void produce_values(const std::vector<std::pair<std::string, std::string>>& key_values,
                      const std::string& topic = "") {
    std::vector<OutgoingMessage> batch;
    for (const auto& [key, value] : key_values) {
      batch.push_back({topic.empty() ? topic_ : topic, key, value, {{"h", "v-" + value}}});
    }
    std::string error;
    ASSERT_TRUE(producer_->produce_and_wait(std::move(batch), 20s, &error)) << error;
  }

  // Everything on the dead-letter topic, via a consumer of its own.
  std::vector<Message> read_dead_letters(std::size_t expected) {
    ConsumerOptions o;
    o.group = unique("dlq-reader");
    o.topics = {dlq_};
    o.dead_letter_topic = dlq_ + ".dlq";
    Seen seen;
    Consumer reader(
        config("dlq-reader"), o, [&](auto batch) { seen.add(batch); }, *producer_);
    reader.start();
    EXPECT_TRUE(wait_until([&] { return seen.size() >= expected; }));
    reader.stop();
    return seen.all();
  }

  // A consumer with this batch interval that logs its batches, returned once it has handled a
  // first message (so it is assigned and fetching).
  std::unique_ptr<Consumer> start_logging_batches(std::chrono::milliseconds interval,
                                                  BatchLog& log) {
    auto o = options();
    o.batch_interval = interval;
    auto consumer = std::make_unique<Consumer>(
        config("c1"), o, [&log](auto batch) { log.add(batch.size()); }, *producer_);
    consumer->start();
    produce_values({{"k", "joined"}});
    EXPECT_TRUE(wait_until([&] { return log.messages() >= 1; }));
    return consumer;
  }

  MockCluster cluster_;
  std::string topic_, dlq_, group_;
  std::unique_ptr<Producer> producer_;
};

TEST_F(KafkaTest, ProducerReachesTheBrokerAndNotAClosedPort) {
  EXPECT_TRUE(producer_->reachable(5s));
  Producer nowhere(BusConfig{"127.0.0.1:1", "nowhere", {}});
  EXPECT_FALSE(nowhere.reachable(300ms));
}

TEST_F(KafkaTest, RoundTripKeepsOrderPerKey) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (int i = 0; i < 200; ++i) {
    messages.emplace_back("key-" + std::to_string(i % 7), std::to_string(i));
  }
  produce_values(messages);

  metrics::Registry registry;
  auto o = options();
  o.metrics = &registry;
  Seen seen;
  Consumer consumer(
      config("c1"), o, [&](auto batch) { seen.add(batch); }, *producer_);
  consumer.start();
  EXPECT_TRUE(consumer.running());
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 200; }));
  consumer.stop();
  EXPECT_FALSE(consumer.running());

  const auto all = seen.all();
  ASSERT_EQ(all.size(), 200u);
  std::map<std::string, std::vector<int>> per_key;
  std::map<std::string, std::int32_t> partition_of_key;
  for (const auto& m : all) {
    per_key[m.key].push_back(std::stoi(m.value));
    EXPECT_EQ(m.topic, topic_);
    EXPECT_EQ(header(m, "h"), "v-" + m.value);
    auto [it, fresh] = partition_of_key.emplace(m.key, m.partition);
    EXPECT_EQ(it->second, m.partition) << "one key, one partition";
  }
  ASSERT_EQ(per_key.size(), 7u);
  for (const auto& [key, values] : per_key) {
    EXPECT_TRUE(std::is_sorted(values.begin(), values.end())) << key;
    for (std::size_t i = 1; i < values.size(); ++i) EXPECT_EQ(values[i] - values[i - 1], 7);
  }
  EXPECT_EQ(registry.counter("bus_messages_consumed_total", "", {"topic"}).with({topic_}).value(),
            200);
  EXPECT_GE(registry.histogram("bus_batch_duration_seconds", "").with().snapshot().count, 1u);
  const std::string text = registry.render();
  EXPECT_NE(text.find("bus_consumer_lag_messages{topic=\"" + topic_ + "\""), std::string::npos)
      << text;
}

TEST_F(KafkaTest, HandledMessagesAreCommittedAndNotRedeliveredToTheGroup) {
  std::vector<std::pair<std::string, std::string>> first;
  for (int i = 0; i < 20; ++i)
    first.emplace_back("k" + std::to_string(i), "old-" + std::to_string(i));
  produce_values(first);
  {
    Seen seen;
    Consumer consumer(
        config("c1"), options(), [&](auto batch) { seen.add(batch); }, *producer_);
    consumer.start();
    ASSERT_TRUE(wait_until([&] { return seen.size() >= 20; }));
    consumer.stop();
  }
  produce_values({{"k-new", "new"}});
  Seen seen;
  Consumer consumer(
      config("c2"), options(), [&](auto batch) { seen.add(batch); }, *producer_);
  consumer.start();
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 1; }));
  consumer.stop();
  EXPECT_THAT(seen.values(), ElementsAre("new"));
}

TEST_F(KafkaTest, TransientFailureIsRetriedWithoutSkippingAnything) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (int i = 0; i < 10; ++i) messages.emplace_back("same-key", std::to_string(i));
  produce_values(messages);

  metrics::Registry registry;
  auto o = options();
  o.metrics = &registry;
  std::atomic<int> failures_left{2};
  std::atomic<int> calls{0};
  Seen seen;
  Consumer consumer(
      config("c1"), o,
      [&](auto batch) {
        ++calls;
        if (failures_left.fetch_sub(1) > 0) throw TransientError("database is restarting");
        seen.add(batch);
      },
      *producer_);
  consumer.start();
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 10; }));
  consumer.stop();

  std::multiset<std::string> expected;
  for (int i = 0; i < 10; ++i) expected.insert(std::to_string(i));
  EXPECT_EQ(seen.values(), expected) << "each handled exactly once, none skipped";
  EXPECT_GE(calls.load(), 3);
  // The test's messages carry no `type` header: they count as "other".
  EXPECT_GE(registry.counter("bus_messages_retried_total", "", {"type"}).with({"other"}).value(),
            2);
  EXPECT_GE(registry.counter("bus_messages_failed_total", "", {"type", "kind"})
                .with({"other", "transient"})
                .value(),
            2);
  EXPECT_THAT(read_dead_letters(0), IsEmpty());
}

TEST_F(KafkaTest, PoisonMessageIsDeadLetteredAndThePartitionKeepsFlowing) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (int i = 0; i < 10; ++i)
    messages.emplace_back("order-1", i == 4 ? "poison" : std::to_string(i));
  produce_values(messages);

  metrics::Registry registry;
  auto o = options();
  o.metrics = &registry;
  Seen seen;
  Consumer consumer(
      config("c1"), o,
      [&](std::span<const Message> batch) {
        for (const auto& m : batch) {
          if (m.value == "poison") throw std::invalid_argument("payload fails its schema");
        }
        seen.add(batch);
      },
      *producer_);
  consumer.start();
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 9; }));

  const auto dead = read_dead_letters(1);
  ASSERT_EQ(dead.size(), 1u);
  const Message& d = dead[0];
  EXPECT_EQ(d.key, "order-1");
  EXPECT_EQ(d.value, "poison");
  EXPECT_EQ(header(d, "h"), "v-poison") << "original headers are kept";
  EXPECT_EQ(header(d, kDlqError), "payload fails its schema");
  EXPECT_EQ(header(d, kDlqTopic), topic_);

  std::int32_t partition = -1;
  std::int64_t poison_offset = -1;
  for (const auto& m : seen.all()) partition = m.partition;
  EXPECT_EQ(header(d, kDlqPartition), std::to_string(partition));
  // Offsets on one partition are consecutive from 0 here: the poison was the 5th message.
  poison_offset = std::stoll(header(d, kDlqOffset));
  EXPECT_EQ(poison_offset, 4);

  // The same partition keeps flowing after the poison.
  produce_values({{"order-1", "after-1"}, {"order-1", "after-2"}});
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 11; }));
  consumer.stop();
  std::multiset<std::string> expected{"0", "1", "2", "3",       "5",      "6",
                                      "7", "8", "9", "after-1", "after-2"};
  EXPECT_EQ(seen.values(), expected);
  EXPECT_EQ(
      registry.counter("bus_messages_dead_lettered_total", "", {"type"}).with({"other"}).value(),
      1);
  EXPECT_EQ(registry.counter("bus_messages_failed_total", "", {"type", "kind"})
                .with({"other", "permanent"})
                .value(),
            1);
}

TEST_F(KafkaTest, StopMidStreamThenRestartFromCommittedOffsets) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (int i = 0; i < 300; ++i)
    messages.emplace_back("k" + std::to_string(i % 11), std::to_string(i));
  produce_values(messages);

  auto o = options();
  o.max_batch = 10;
  Seen first;
  {
    // Once 50 are handled the handler holds its batch until stop() is under way, so the stop
    // lands mid-stream with a batch in hand, which must still be finished and committed.
    std::atomic<bool> stopping{false};
    Consumer consumer(
        config("c1"), o,
        [&](auto batch) {
          if (first.size() >= 50) wait_until([&] { return stopping.load(); }, 10s);
          first.add(batch);
        },
        *producer_);
    consumer.start();
    ASSERT_TRUE(wait_until([&] { return first.size() >= 50; }));
    stopping = true;
    consumer.stop();
  }
  ASSERT_LT(first.size(), 300u) << "stopped mid-stream";
  ASSERT_GT(first.size(), 50u) << "the batch in hand at stop() was finished";

  Seen second;
  Consumer consumer(
      config("c2"), o, [&](auto batch) { second.add(batch); }, *producer_);
  consumer.start();
  ASSERT_TRUE(wait_until([&] { return first.size() + second.size() >= 300; }));
  consumer.stop();

  std::multiset<std::string> all = first.values();
  for (const auto& v : second.values()) all.insert(v);
  std::multiset<std::string> expected;
  for (int i = 0; i < 300; ++i) expected.insert(std::to_string(i));
  EXPECT_EQ(all, expected) << "nothing lost, nothing handled twice";
}

TEST_F(KafkaTest, SubscribingBeforeTheTopicExistsStillReceivesIt) {
  const std::string later = unique("created-later");
  auto o = options();
  o.topics = {later};
  Seen seen;
  Consumer consumer(
      config("c1"), o, [&](auto batch) { seen.add(batch); }, *producer_);
  consumer.start();
  // Keep producing until the group has picked the new topic up: the first messages may be
  // produced before the consumer's assignment, and are read from the earliest offset anyway.
  produce_values({{"k", "first"}}, later);
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 1; }));
  consumer.stop();
  EXPECT_THAT(seen.values(), ElementsAre("first"));
}

TEST_F(KafkaTest, UnderLoadBatchesComeAtLeastTheIntervalApart) {
  BatchLog log;
  auto consumer = start_logging_batches(300ms, log);
  ASSERT_GE(log.messages(), 1u);  // assigned and fetching

  // 50 messages a second for 5 s, scheduled by the clock: far more than four per interval, so
  // after a second of it the consumer hands on a batch at most every 300 ms.
  constexpr int kMessages = 250;
  const auto load_start = BatchLog::Clock::now();
  for (int i = 0; i < kMessages; ++i) {
    std::this_thread::sleep_until(load_start + i * 20ms);  // paces the load, waits on nothing
    produce_values({{"k" + std::to_string(i % 5), std::to_string(i)}});
  }
  ASSERT_TRUE(wait_until([&] { return log.messages() >= kMessages + 1; }));
  consumer->stop();

  // Judged from 3 s in (a rate window of about a second has seen only the load by then) to the
  // end of the load.
  std::vector<std::pair<BatchLog::Clock::time_point, std::size_t>> late;
  for (const auto& b : log.batches()) {
    if (b.first >= load_start + 3s && b.first <= load_start + 5s) late.push_back(b);
  }
  ASSERT_GE(late.size(), 3u);
  std::size_t messages = 0;
  for (std::size_t i = 0; i < late.size(); ++i) {
    messages += late[i].second;
    if (i == 0) continue;
    EXPECT_GE(late[i].first - late[i - 1].first, 290ms) << "batch " << i;
  }
  EXPECT_GE(messages / late.size(), 4u) << "batches gather what came meanwhile";
}

TEST_F(KafkaTest, ATrickleIsNotHeldBackByTheBatchInterval) {
  BatchLog log;
  auto consumer = start_logging_batches(5s, log);
  ASSERT_GE(log.messages(), 1u);  // assigned and fetching

  // One message at a time, each right after the last was handled: held for the interval, each
  // would take 5 s.
  for (std::size_t i = 2; i <= 4; ++i) {
    const auto sent = BatchLog::Clock::now();
    produce_values({{"k", "lone-" + std::to_string(i)}});
    ASSERT_TRUE(wait_until([&] { return log.messages() >= i; }));
    EXPECT_LT(BatchLog::Clock::now() - sent, 2500ms) << "message " << i;
  }
  consumer->stop();
}

TEST_F(KafkaTest, CooperativeAssignmentSharesPartitionsBetweenTwoMembers) {
  std::vector<std::pair<std::string, std::string>> messages;
  for (int i = 0; i < 100; ++i) messages.emplace_back("k" + std::to_string(i), std::to_string(i));
  produce_values(messages);
  auto cfg1 = config("c1");
  auto cfg2 = config("c2");
  cfg1.properties["partition.assignment.strategy"] = "cooperative-sticky";
  cfg2.properties["partition.assignment.strategy"] = "cooperative-sticky";
  Seen seen;
  Consumer a(
      cfg1, options(), [&](auto batch) { seen.add(batch); }, *producer_);
  Consumer b(
      cfg2, options(), [&](auto batch) { seen.add(batch); }, *producer_);
  a.start();
  b.start();
  ASSERT_TRUE(wait_until([&] { return seen.size() >= 100; }));
  a.stop();
  for (int i = 100; i < 120; ++i) produce_values({{"k" + std::to_string(i), std::to_string(i)}});
  ASSERT_TRUE(wait_until([&] {
    const auto v = seen.values();
    for (int i = 100; i < 120; ++i) {
      if (v.count(std::to_string(i)) == 0) return false;
    }
    return true;
  }));
  b.stop();
  std::set<std::string> distinct;
  for (const auto& v : seen.values()) distinct.insert(v);
  EXPECT_EQ(distinct.size(), 120u);
}

// ---- the dev-broker executable -------------------------------------------------------------

class ChildProcess {
 public:
  explicit ChildProcess(std::vector<std::string> argv) {
    int out[2];
    if (pipe(out) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    stdout_ = out[0];
  }
  ~ChildProcess() {
    if (pid_ > 0 && !reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(stdout_);
  }

  // One line of stdout, or "" when none arrives before the deadline.
  std::string read_line(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string line;
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{stdout_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      char c;
      if (read(stdout_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return "";
  }

  void signal(int sig) { kill(pid_, sig); }

  // The exit status, or -1 if it has not exited before the deadline.
  int wait_exit(std::chrono::milliseconds timeout) {
    int status = 0;
    const bool exited =
        wait_until([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!exited) return -1;
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  bool reaped_ = false;
};

TEST(DevBroker, ServesProduceAndConsumeAndStopsCleanlyOnSigterm) {
  const std::string exe = std::string(COMMERCE_BINARY_DIR) + "/bin/dev-broker";
  ASSERT_TRUE(std::filesystem::exists(exe)) << exe;
  const std::string topic = unique("dev-broker-topic");
  const auto file = std::filesystem::temp_directory_path() / (unique("bootstrap") + ".txt");
  ChildProcess broker({exe, "--topics", topic + "," + topic + ".dlq", "--partitions", "2",
                       "--bootstrap-file", file.string()});
  const std::string line = broker.read_line(20s);
  ASSERT_EQ(line.rfind("bootstrap=", 0), 0u) << line;
  const std::string bootstrap = line.substr(10);
  std::string from_file;
  std::getline(std::ifstream(file), from_file);
  EXPECT_EQ(from_file, bootstrap);
  std::filesystem::remove(file);

  {
    Producer producer(BusConfig{bootstrap, "p", {}});
    ASSERT_TRUE(producer.reachable(5s));
    std::string error;
    ASSERT_TRUE(producer.produce_and_wait({{topic, "k1", "hello", {}}, {topic, "k2", "world", {}}},
                                          20s, &error))
        << error;
    ConsumerOptions o;
    o.group = unique("g");
    o.topics = {topic};
    o.dead_letter_topic = topic + ".dlq";
    Seen seen;
    Consumer consumer(
        BusConfig{bootstrap, "c", {}}, o, [&](auto batch) { seen.add(batch); }, producer);
    consumer.start();
    ASSERT_TRUE(wait_until([&] { return seen.size() >= 2; }));
    consumer.stop();
    EXPECT_EQ(seen.values(), (std::multiset<std::string>{"hello", "world"}));
    for (const auto& m : seen.all()) EXPECT_LT(m.partition, 2);
  }

  broker.signal(SIGTERM);
  EXPECT_EQ(broker.wait_exit(20s), 0);
}

}  // namespace
}  // namespace commerce::bus
