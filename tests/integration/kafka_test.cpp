// The fleet's messaging on a real Apache Kafka (KRaft, one node, started by the fixture from the
// jars pinned in deploy/kafka/pom.xml): topics provisioned from deploy/topics.json with
// auto-creation off, the clients' effective configuration read back, a client we did not write
// (kcat) driving a real agent, and the agent's consumer lag and dead-letter count on /metrics.
#include "commerce/bus/kafka.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "commerce/bus/topic_plan.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/agent_harness.hpp"
#include "commerce/stack/stack.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using commerce::stack::KafkaBroker;
using nlohmann::json;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

KafkaBroker& broker() { return KafkaBroker::shared(); }

std::vector<std::string> names(const std::vector<commerce::bus::TopicSpec>& plan) {
  std::vector<std::string> out;
  for (const auto& t : plan) out.push_back(t.name);
  return out;
}

// Topic name -> partition count, from the broker's metadata (no auto-creation asked for).
std::map<std::string, int> broker_topics(const std::string& bootstrap) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "allow.auto.create.topics", "false", error, sizeof error);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
  if (rk == nullptr) throw std::runtime_error(error);
  const struct rd_kafka_metadata* md = nullptr;
  std::map<std::string, int> out;
  if (rd_kafka_metadata(rk, 1, nullptr, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < md->topic_cnt; ++i) {
      if (md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        out[md->topics[i].topic] = md->topics[i].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
  }
  rd_kafka_destroy(rk);
  return out;
}

// kcat (Debian's kafkacat), whichever name this machine has.
std::string kcat() {
  for (const char* name : {"/usr/bin/kcat", "/usr/bin/kafkacat"}) {
    if (::access(name, X_OK) == 0) return name;
  }
  return "";
}

struct Run {
  int status = -1;
  std::string output;
};

Run run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 30s) {
  const std::string log =
      (fs::temp_directory_path() / commerce::stack::unique_name("kcat")).string();
  Run result;
  {
    commerce::stack::Process p(std::move(argv), {}, log);
    auto status = p.wait(timeout);
    if (!status) p.stop(1s);
    result.status = status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  }
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  result.output = ss.str();
  std::error_code ec;
  fs::remove(log, ec);
  return result;
}

// Produces the file's whole content as one message with kcat, with the `type` header the relay
// also sets (what the dispatcher reads to skip types it does not handle).
void kcat_produce(const std::string& topic, const std::string& key, const std::string& type,
                  const std::string& value) {
  const std::string file =
      (fs::temp_directory_path() / commerce::stack::unique_name("kcat-message")).string();
  {
    std::ofstream out(file, std::ios::binary);
    out << value;
  }
  auto r = run({kcat(), "-P", "-b", broker().bootstrap(), "-t", topic, "-k", key, "-H",
                "type=" + type, "-X", "acks=all", file});
  fs::remove(file);
  ASSERT_EQ(r.status, 0) << "kcat produce failed: " << r.output;
}

// Every message on `topic` as kcat's JSON (topic, partition, offset, headers, key, payload).
std::vector<json> kcat_read_all(const std::string& topic) {
  auto r = run(
      {kcat(), "-C", "-b", broker().bootstrap(), "-t", topic, "-o", "beginning", "-e", "-q", "-J"});
  std::vector<json> out;
  if (r.status != 0) return out;
  std::stringstream lines(r.output);
  std::string line;
  while (std::getline(lines, line)) {
    auto doc = json::parse(line, nullptr, false);
    if (doc.is_object()) out.push_back(std::move(doc));
  }
  return out;
}

std::map<std::string, std::string> headers_of(const json& kcat_message) {
  std::map<std::string, std::string> out;
  const auto& h = kcat_message.value("headers", json::array());
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out[h[i].get<std::string>()] = h[i + 1].is_string() ? h[i + 1].get<std::string>() : "";
  }
  return out;
}

// A ReserveStock command as it travels, written out by hand (not by our serialiser).
std::string reserve_stock_command(const std::string& merchant, const std::string& order_id,
                                  const std::string& sku) {
  return R"({"id":")" + commerce::core::uuid_v7() +
         R"(","type":"inventory.ReserveStock","version":1,"merchant_id":")" + merchant +
         R"(","correlation_id":")" + order_id + R"(","causation_id":"","occurred_at":")" +
         "2026-01-02T03:04:05Z" +
         R"(","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",)" +
         R"("payload":{"order_id":")" + order_id + R"(","lines":[{"sku":")" + sku +
         R"(","quantity":2}]}})";
}

// ---------------------------------------------------------------------------------------------

TEST(KafkaBroker, AppliesTheTopicPlanIdempotentlyWithAutoCreationOff) {
  const auto started = std::chrono::steady_clock::now();
  const std::string bootstrap = broker().bootstrap();
  std::cout << "broker ready on " << bootstrap << " (start took "
            << broker().start_duration().count() << " ms; this test waited "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms)" << std::endl;

  // The broker itself says auto-creation is off.
  const auto config = commerce::bus::describe_broker_config(bootstrap, 1, 20s);
  ASSERT_TRUE(config.count("auto.create.topics.enable"));
  EXPECT_EQ(config.at("auto.create.topics.enable"), "false");

  const auto plan = commerce::stack::local_topic_plan();
  const auto first = commerce::bus::apply_topic_plan(bootstrap, plan);
  ASSERT_TRUE(first.ok()) << ::testing::PrintToString(first.errors);
  EXPECT_EQ(first.created.size() + first.unchanged.size(), plan.size());
  EXPECT_THAT(first.drift, IsEmpty());

  const auto second = commerce::bus::apply_topic_plan(bootstrap, plan);
  ASSERT_TRUE(second.ok()) << ::testing::PrintToString(second.errors);
  EXPECT_THAT(second.created, IsEmpty());
  EXPECT_THAT(second.grown, IsEmpty());
  EXPECT_THAT(second.unchanged, UnorderedElementsAreArray(names(plan)));
  EXPECT_THAT(second.drift, IsEmpty()) << "retention and partitions read back from the broker";
  EXPECT_THAT(second.notes, IsEmpty());

  const auto existing = broker_topics(bootstrap);
  for (const auto& spec : plan) {
    ASSERT_TRUE(existing.count(spec.name)) << spec.name;
    EXPECT_EQ(existing.at(spec.name), spec.partitions) << spec.name;
  }

  // Producing to a topic nobody declared fails, and leaves no topic behind.
  const std::string undeclared = "commerce.undeclared-" + commerce::core::random_hex(6) + ".events";
  commerce::bus::Producer producer(commerce::bus::BusConfig{
      bootstrap, "auto-create-probe", {{"message.timeout.ms", "1500"}, {"log_level", "0"}}});
  std::string error;
  EXPECT_FALSE(producer.produce_and_wait({{undeclared, "k", "{}", {}}}, 20s, &error));
  EXPECT_FALSE(error.empty());
  EXPECT_EQ(broker_topics(bootstrap).count(undeclared), 0u) << undeclared << " was auto-created";
}

TEST(KafkaBroker, GrowsPartitionsAndReportsDriftItCannotFix) {
  const std::string bootstrap = broker().bootstrap();
  const std::string topic = "test.provisioning-" + commerce::core::random_hex(6);
  commerce::bus::TopicSpec spec{topic, 2, 1, {{"retention.ms", "3600000"}}};

  auto created = commerce::bus::apply_topic_plan(bootstrap, {spec});
  ASSERT_TRUE(created.ok()) << ::testing::PrintToString(created.errors);
  EXPECT_THAT(created.created, Contains(topic));

  spec.partitions = 4;
  auto grown = commerce::bus::apply_topic_plan(bootstrap, {spec});
  ASSERT_TRUE(grown.ok()) << ::testing::PrintToString(grown.errors);
  EXPECT_THAT(grown.grown, Contains(topic + ": 2 -> 4 partitions"));
  EXPECT_EQ(broker_topics(bootstrap)[topic], 4);

  // Fewer partitions and another retention than the broker has: reported, not changed.
  spec.partitions = 3;
  spec.config["retention.ms"] = "7200000";
  auto drifted = commerce::bus::apply_topic_plan(bootstrap, {spec});
  ASSERT_TRUE(drifted.ok()) << ::testing::PrintToString(drifted.errors);
  EXPECT_THAT(drifted.drift, Contains(topic + ": partitions is 4, declared 3"));
  EXPECT_THAT(drifted.drift, Contains(topic + ": retention.ms is 3600000, declared 7200000"));
  EXPECT_EQ(broker_topics(bootstrap)[topic], 4);

  // A declaration the broker refuses is an error, not a silent success.
  commerce::bus::TopicSpec impossible{"test.impossible-" + commerce::core::random_hex(6), 1, 3, {}};
  auto refused = commerce::bus::apply_topic_plan(bootstrap, {impossible}, 20s);
  EXPECT_FALSE(refused.ok());
}

// What our producers and consumers really run with, read back from librdkafka.
TEST(KafkaBroker, ClientsRunIdempotentAcksAllAndReadCommitted) {
  const std::string bootstrap = broker().bootstrap();
  commerce::bus::Producer producer(commerce::bus::BusConfig{bootstrap, "config-probe", {}});
  const auto p = producer.effective_config();
  ASSERT_TRUE(p.count("enable.idempotence"));
  EXPECT_EQ(p.at("enable.idempotence"), "true");
  ASSERT_TRUE(p.count("request.required.acks")) << "acks is a topic-level property";
  EXPECT_EQ(p.at("request.required.acks"), "-1");  // acks=all

  const std::string topic = "test.config-" + commerce::core::random_hex(6);
  ASSERT_TRUE(commerce::bus::apply_topic_plan(bootstrap, {{topic, 1, 1, {}}}).ok());
  commerce::bus::ConsumerOptions options;
  options.group = "config-probe";
  options.topics = {topic};
  options.dead_letter_topic = topic;
  commerce::bus::Consumer consumer(
      commerce::bus::BusConfig{bootstrap, "config-probe", {}}, options, [](auto) {}, producer);
  const auto c = consumer.effective_config();
  ASSERT_TRUE(c.count("isolation.level"));
  EXPECT_EQ(c.at("isolation.level"), "read_committed");
  EXPECT_EQ(c.at("enable.auto.commit"), "false");  // offsets only after the effect commits
  EXPECT_EQ(c.at("enable.auto.offset.store"), "false");

  // And the broker accepts the idempotent producer's writes with all replicas acknowledging.
  std::string error;
  EXPECT_TRUE(producer.produce_and_wait({{topic, "k", "{}", {}}}, 30s, &error)) << error;
}

// ---------------------------------------------------------------------------------------------
// One real agent (inventory) on the real broker, driven by kcat.

class KafkaAgent : public ::testing::Test {
 public:
  static void SetUpTestSuite() {
    auto& s = state();
    if (s.fleet || !s.error.empty()) return;
    try {
      commerce::stack::Fleet::Options options;
      options.admin_url = commerce::stack::EmbeddedPostgres::shared().admin_url();
      options.brokers = broker().bootstrap();
      options.env = commerce::stack::agent_settings_for(commerce::stack::BrokerKind::kafka);
      s.fleet = std::make_unique<commerce::stack::Fleet>(options);
      s.fleet->start("inventory");
      s.events = std::make_unique<commerce::stack::EventCollector>(
          broker().bootstrap(),
          std::vector<std::string>{commerce::bus::topics::events("inventory")},
          "kafka-test-" + commerce::core::random_hex(4));
    } catch (const std::exception& e) {
      s.error = e.what();
    }
  }
  static void TearDownTestSuite() {
    state().events.reset();
    state().fleet.reset();
  }

 protected:
  void SetUp() override {
    ASSERT_TRUE(state().error.empty()) << state().error;
    ASSERT_FALSE(kcat().empty()) << "kcat (Debian package kafkacat) is not installed";
  }

  struct State {
    std::unique_ptr<commerce::stack::Fleet> fleet;
    std::unique_ptr<commerce::stack::EventCollector> events;
    std::string error;
  };
  static State& state() {
    static State s;
    return s;
  }

  // Waits for inventory's answer to ReserveStock of `order_id` (no stock: it fails).
  bool answered(const std::string& order_id) {
    return state()
        .events
        ->wait_for(
            [&](const commerce::stack::ReceivedEvent& e) {
              return e.envelope.type == "inventory.StockReservationFailed" &&
                     e.envelope.payload.value("order_id", "") == order_id;
            },
            30s)
        .has_value();
  }

  std::string metrics() {
    commerce::http::Client client;
    auto r = client.get(state().fleet->admin_url("inventory") + "/metrics");
    EXPECT_EQ(r.status, 200);
    return r.body;
  }

  // The value of the series `name{labels}` on /metrics, or -1 when absent.
  static double series(const std::string& text, const std::string& name_and_labels) {
    std::stringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(name_and_labels + " ", 0) == 0) {
        return std::stod(line.substr(name_and_labels.size() + 1));
      }
    }
    return -1;
  }
};

TEST_F(KafkaAgent, KcatCommandIsHandledMalformedOneIsDeadLetteredAndTheNextIsStillHandled) {
  const std::string commands = commerce::bus::topics::commands("inventory");
  const std::string merchant = commerce::core::uuid_v7();
  // One key for all three: one partition, in order, so "the next one" really comes after.
  const std::string key = "kcat-" + commerce::core::random_hex(6);

  const std::string first = commerce::core::uuid_v7();
  kcat_produce(commands, key, "inventory.ReserveStock",
               reserve_stock_command(merchant, first, "SKU-KCAT-1"));
  EXPECT_TRUE(answered(first)) << "inventory did not handle the command kcat produced";

  const std::string malformed = R"({"id":"kcat-broken","type":"inventory.ReserveStock",)";
  kcat_produce(commands, key, "inventory.ReserveStock", malformed);

  const std::string next = commerce::core::uuid_v7();
  kcat_produce(commands, key, "inventory.ReserveStock",
               reserve_stock_command(merchant, next, "SKU-KCAT-2"));
  EXPECT_TRUE(answered(next)) << "the command after the malformed one was not handled";

  json dead;
  const bool found = commerce::stack::wait_until(
      [&] {
        for (auto& m : kcat_read_all(commerce::bus::topics::dlq("inventory"))) {
          if (m.value("payload", "") == malformed) {
            dead = m;
            return true;
          }
        }
        return false;
      },
      30s, 200ms);
  ASSERT_TRUE(found) << "the malformed command is not on "
                     << commerce::bus::topics::dlq("inventory");
  const auto headers = headers_of(dead);
  EXPECT_EQ(dead.value("key", ""), key);
  ASSERT_TRUE(headers.count(commerce::bus::kDlqError)) << dead.dump();
  EXPECT_THAT(headers.at(commerce::bus::kDlqError), ::testing::HasSubstr("not JSON"));
  EXPECT_EQ(headers.at(commerce::bus::kDlqTopic), commands);
  EXPECT_TRUE(headers.count(commerce::bus::kDlqPartition));
  EXPECT_TRUE(headers.count(commerce::bus::kDlqOffset));
  EXPECT_EQ(headers.at("type"), "inventory.ReserveStock") << "original headers travel along";
}

TEST_F(KafkaAgent, ConsumerLagPerPartitionAndDeadLetterCountAreOnMetrics) {
  const std::string commands = commerce::bus::topics::commands("inventory");
  // Counted per message type (from the type header), the label set the metrics catalogue names.
  const std::string dead_letters =
      "bus_messages_dead_lettered_total{type=\"inventory.ReserveStock\"}";
  const double before = std::max(0.0, series(metrics(), dead_letters));

  const std::string key = "metrics-" + commerce::core::random_hex(6);
  kcat_produce(commands, key, "inventory.ReserveStock", "not an envelope at all");
  const std::string after_it = commerce::core::uuid_v7();
  kcat_produce(commands, key, "inventory.ReserveStock",
               reserve_stock_command(commerce::core::uuid_v7(), after_it, "SKU-METRICS"));
  ASSERT_TRUE(answered(after_it));

  std::string text;
  EXPECT_TRUE(commerce::stack::wait_until(
      [&] {
        text = metrics();
        return series(text, dead_letters) == before + 1;
      },
      20s, 100ms))
      << "dead-letter count did not go from " << before << " to " << before + 1 << ":\n"
      << text;

  // Lag per partition of the commands topic: one series for each partition the agent owns (all
  // of them, it is alone in its group), each caught up once the messages are handled.
  const auto plan = commerce::stack::local_topic_plan();
  int partitions = 0;
  for (const auto& t : plan)
    if (t.name == commands) partitions = t.partitions;
  ASSERT_GT(partitions, 0);
  std::vector<double> lags;
  EXPECT_TRUE(commerce::stack::wait_until(
      [&] {
        text = metrics();
        lags.clear();
        for (int p = 0; p < partitions; ++p) {
          lags.push_back(series(text, "bus_consumer_lag_messages{topic=\"" + commands +
                                          "\",partition=\"" + std::to_string(p) + "\"}"));
        }
        return std::all_of(lags.begin(), lags.end(), [](double lag) { return lag == 0; });
      },
      20s, 100ms))
      << "lag per partition (-1: no series): " << ::testing::PrintToString(lags) << "\n"
      << text;
  EXPECT_EQ(series(text, "bus_consumer_lag_messages{topic=\"" + commands + "\",partition=\"" +
                             std::to_string(partitions) + "\"}"),
            -1)
      << "a series for a partition the topic does not have";
}

}  // namespace
