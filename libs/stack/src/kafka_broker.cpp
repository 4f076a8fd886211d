// The real Apache Kafka broker as a local process (KRaft, one node), the choice between it and
// the development broker, and applying the topic plan.
#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "commerce/stack/stack.hpp"

namespace commerce::stack {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

void require_tool(const std::string& name, const std::string& package) {
  if (!on_path(name)) {
    throw std::runtime_error("the Kafka broker needs `" + name + "` on PATH (Debian package " +
                             package + "; ./fleet install adds it)");
  }
}

bool status_ok(const std::optional<int>& status) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

// FNV-1a of the pom: a changed pin means a new classpath.
std::string fingerprint(const std::string& text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

// Every jar of a cached classpath still there (the local Maven repository may be cleaned).
bool classpath_complete(const std::string& classpath) {
  if (classpath.empty()) return false;
  std::stringstream entries(classpath);
  std::string jar;
  while (std::getline(entries, jar, ':')) {
    if (!jar.empty() && !fs::exists(jar)) return false;
  }
  return true;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  return pattern;
}

// The broker answers a metadata request naming at least one broker.
bool answers_metadata(rd_kafka_t* rk, std::chrono::milliseconds timeout) {
  const struct rd_kafka_metadata* md = nullptr;
  if (rd_kafka_metadata(rk, 0, nullptr, &md, static_cast<int>(timeout.count())) !=
      RD_KAFKA_RESP_ERR_NO_ERROR) {
    return false;
  }
  const bool any = md->broker_cnt > 0;
  rd_kafka_metadata_destroy(md);
  return any;
}

std::vector<std::string> jvm_flags(const KafkaBroker::Options& options, const std::string& heap) {
  std::vector<std::string> flags{
      "-Xms64m",
      "-Xmx" + heap,
      "-XX:+UseSerialGC",
      "-XX:MaxMetaspaceSize=256m",
      "-Djava.awt.headless=true",
      "-Dlog4j.configuration=file:" + source_dir() + "/deploy/kafka/log4j.properties"};
  if (options.quick_start) flags.push_back("-XX:TieredStopAtLevel=1");
  return flags;
}

}  // namespace

// 16 random bytes, base64url without padding (Kafka's Uuid format). Like Kafka's own
// Uuid.randomUuid(), never one that starts with '-': kafka-storage would read it as an option
// ("--cluster-id: expected one argument"), one broker start in 64.
std::string kraft_cluster_id() {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::random_device rd;
  for (;;) {
    unsigned char bytes[16];
    for (auto& b : bytes) b = static_cast<unsigned char>(rd());
    std::string out;
    int bits = 0;
    std::uint32_t buffer = 0;
    for (unsigned char b : bytes) {
      buffer = (buffer << 8) | b;
      bits += 8;
      while (bits >= 6) {
        out += alphabet[(buffer >> (bits - 6)) & 0x3f];
        bits -= 6;
      }
    }
    if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 0x3f];
    if (out.front() != '-') return out;  // 22 characters
  }
}

// ---------------------------------------------------------------------------------------------
// The classpath

std::string kafka_classpath() {
  static std::mutex mutex;
  static std::string resolved;
  std::lock_guard lock(mutex);
  if (!resolved.empty()) return resolved;

  const std::string pom = source_dir() + "/deploy/kafka/pom.xml";
  const std::string pom_text = read_file(pom);
  if (pom_text.empty()) throw std::runtime_error("KafkaBroker: cannot read " + pom);
  const std::string cache_dir = source_dir() + "/.fleet/kafka";
  fs::create_directories(cache_dir);
  const std::string cache = cache_dir + "/classpath-" + fingerprint(pom_text) + ".txt";
  std::string classpath = trimmed(read_file(cache));
  if (classpath_complete(classpath)) return resolved = classpath;

  require_tool("mvn", "maven");
  // Test binaries run in parallel: one resolves, the others wait and read its result.
  const int lock_fd =
      ::open((cache_dir + "/resolve.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (lock_fd < 0)
    throw std::runtime_error("KafkaBroker: cannot open " + cache_dir + "/resolve.lock");
  ::flock(lock_fd, LOCK_EX);
  struct Unlock {
    int fd;
    ~Unlock() {
      ::flock(fd, LOCK_UN);
      ::close(fd);
    }
  } unlock{lock_fd};
  classpath = trimmed(read_file(cache));
  if (classpath_complete(classpath)) return resolved = classpath;

  const std::string out = cache + ".tmp";
  const std::string log = cache_dir + "/mvn.log";
  std::cerr << "[stack] resolving the Kafka broker's jars with mvn (" << pom << ")" << std::endl;
  Process mvn(
      {"mvn", "-q", "-B", "-f", pom, "dependency:build-classpath", "-Dmdep.outputFile=" + out}, {},
      log);
  const auto status = mvn.wait(15min);
  if (!status_ok(status)) {
    mvn.stop(5s);
    throw std::runtime_error("KafkaBroker: mvn could not resolve " + pom + ":\n" +
                             tail_of(log, 6000));
  }
  classpath = trimmed(read_file(out));
  if (!classpath_complete(classpath)) {
    throw std::runtime_error("KafkaBroker: mvn gave no usable classpath for " + pom);
  }
  fs::rename(out, cache);
  return resolved = classpath;
}

// ---------------------------------------------------------------------------------------------
// KafkaBroker

KafkaBroker::KafkaBroker() : KafkaBroker(Options{}) {}

KafkaBroker::KafkaBroker(Options options) : options_(std::move(options)) {}

KafkaBroker::~KafkaBroker() {
  try {
    stop();
  } catch (...) {
  }
  if (!dir_.empty() && !std::getenv("COMMERCE_KEEP_LOGS")) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

bool KafkaBroker::running() { return process_ && process_->alive(); }

void KafkaBroker::format(const std::string& classpath) {
  std::vector<std::string> argv{"java"};
  for (auto& f : jvm_flags(options_, "256m")) argv.push_back(f);
  for (std::string a : {"-cp", classpath.c_str(), "kafka.tools.StorageTool", "format", "-t"})
    argv.push_back(a);
  argv.push_back(kraft_cluster_id());
  argv.push_back("-c");
  argv.push_back(dir_ + "/server.properties");
  Process tool(argv, {}, log_file_);
  const auto status = tool.wait(120s);
  if (!status_ok(status)) {
    tool.stop(2s);
    throw std::runtime_error("KafkaBroker: formatting the storage failed:\n" +
                             tail_of(log_file_, 6000));
  }
  formatted_ = true;
}

void KafkaBroker::start() {
  if (running()) return;
  const auto started = std::chrono::steady_clock::now();
  require_tool("java", "openjdk-17-jre-headless");
  const std::string classpath = kafka_classpath();
  if (dir_.empty()) dir_ = make_temp_dir("commerce-kafka");
  log_file_ = dir_ + "/broker.log";

  for (int attempt = 1;; ++attempt) {
    // Ports are picked once and kept across restarts of the same broker (its data names them).
    if (!formatted_ || port_ == 0) {
      port_ = free_port();
      do controller_port_ = free_port();
      while (controller_port_ == port_);
    }
    const std::string listener = "127.0.0.1:" + std::to_string(port_);
    const std::string controller = "127.0.0.1:" + std::to_string(controller_port_);
    {
      std::ofstream props(dir_ + "/server.properties", std::ios::trunc);
      props << "# Written by commerce::stack::KafkaBroker: one KRaft node on loopback.\n"
            << "process.roles=broker,controller\n"
            << "node.id=1\n"
            << "controller.quorum.voters=1@" << controller << "\n"
            << "listeners=PLAINTEXT://" << listener << ",CONTROLLER://" << controller << "\n"
            << "advertised.listeners=PLAINTEXT://" << listener << "\n"
            << "controller.listener.names=CONTROLLER\n"
            << "inter.broker.listener.name=PLAINTEXT\n"
            << "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT\n"
            << "log.dirs=" << dir_
            << "/data\n"
            // Topics come from deploy/topics.json only.
            << "auto.create.topics.enable=false\n"
            << "num.partitions=1\n"
            << "default.replication.factor=1\n"
            << "offsets.topic.replication.factor=1\n"
            << "offsets.topic.num.partitions=4\n"
            << "transaction.state.log.replication.factor=1\n"
            << "transaction.state.log.min.isr=1\n"
            << "transaction.state.log.num.partitions=4\n"
            << "group.initial.rebalance.delay.ms=0\n"
            // Two cores shared with the whole fleet: one network and one request thread. With
            // two of each the broker used 8 % more CPU per order at 300/s (session 12, four
            // pairs), for hand-offs between threads that had no core to run on anyway.
            << "num.network.threads=1\n"
            << "num.io.threads=1\n"
            << "num.recovery.threads.per.data.dir=1\n"
            << "background.threads=2\n"
            << "log.cleaner.threads=1\n";
      if (!props)
        throw std::runtime_error("KafkaBroker: cannot write " + dir_ + "/server.properties");
    }
    if (!formatted_) format(classpath);

    std::vector<std::string> argv{"java"};
    for (auto& f : jvm_flags(options_, options_.heap)) argv.push_back(f);
    for (const std::string a : {"-cp", classpath.c_str(), "kafka.Kafka"}) argv.push_back(a);
    argv.push_back(dir_ + "/server.properties");
    process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{}, log_file_);

    // Readiness is the broker answering a metadata request on its listener.
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", listener.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);  // refusals are expected
    rd_kafka_conf_set(conf, "reconnect.backoff.ms", "50", error, sizeof error);
    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "200", error, sizeof error);
    rd_kafka_t* probe = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (probe == nullptr) throw std::runtime_error(std::string("KafkaBroker: ") + error);
    const bool ready =
        wait_until([&] { return !process_->alive() || answers_metadata(probe, 500ms); },
                   options_.start_timeout, 50ms);
    rd_kafka_destroy(probe);
    if (ready && process_->alive()) {
      bootstrap_ = listener;
      start_duration_ = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      return;
    }
    process_->stop(5s);
    process_.reset();
    const std::string log = tail_of(log_file_, 6000);
    // A port picked by us may have been taken meanwhile: new ports, fresh storage, again.
    if (attempt < 3 && log.find("Address already in use") != std::string::npos) {
      std::error_code ec;
      fs::remove_all(dir_ + "/data", ec);
      formatted_ = false;
      continue;
    }
    throw std::runtime_error("KafkaBroker: not ready on " + listener + " within " +
                             std::to_string(options_.start_timeout.count()) + " ms:\n" + log);
  }
}

void KafkaBroker::stop() {
  if (process_) {
    process_->stop(30s);
    process_.reset();
  }
}

void KafkaBroker::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait(30s);
  process_.reset();
}

KafkaBroker& KafkaBroker::shared() {
  static std::mutex mutex;
  static KafkaBroker instance;
  std::lock_guard lock(mutex);
  if (!instance.running()) instance.start();
  return instance;
}

// ---------------------------------------------------------------------------------------------
// Choosing a broker

BrokerKind parse_broker_kind(const std::string& name) {
  if (name == "dev") return BrokerKind::dev;
  if (name == "kafka") return BrokerKind::kafka;
  throw std::invalid_argument("broker: expected dev or kafka, got '" + name + "'");
}

std::string to_string(BrokerKind kind) { return kind == BrokerKind::kafka ? "kafka" : "dev"; }

BrokerKind broker_kind_from_env() {
  const char* v = std::getenv("FLEET_BROKER");
  return v && *v ? parse_broker_kind(v) : BrokerKind::dev;
}

LocalBroker::LocalBroker(BrokerKind kind, KafkaBroker::Options kafka) : kind_(kind) {
  if (kind_ == BrokerKind::kafka) {
    kafka_ = std::make_unique<KafkaBroker>(std::move(kafka));
  } else {
    dev_ = std::make_unique<DevBroker>();
  }
}

LocalBroker::~LocalBroker() = default;

void LocalBroker::start() { kafka_ ? kafka_->start() : dev_->start(); }

void LocalBroker::stop() { kafka_ ? kafka_->stop() : dev_->stop(); }

const std::string& LocalBroker::bootstrap() const {
  return kafka_ ? kafka_->bootstrap() : dev_->bootstrap();
}

std::string shared_broker_bootstrap() {
  return broker_kind_from_env() == BrokerKind::kafka ? KafkaBroker::shared().bootstrap()
                                                     : DevBroker::shared().bootstrap();
}

std::map<std::string, std::string> agent_settings_for(BrokerKind kind) {
  std::map<std::string, std::string> settings;
  if (kind == BrokerKind::kafka) {
    settings["KAFKA_CONSUMER_PROPERTIES"] = "fetch.wait.max.ms=100";
    // Kafka answers a fetch as soon as one message is there: gathering 5 ms instead of 1 makes
    // fewer, larger transactions. At 300/s, four pairs: 5 % less CPU per order and p50/p99
    // 105/185 ms against 133/230 (session 12). On the development broker, which batches by
    // itself, it only added latency.
    settings["CONSUMER_BATCH_WAIT_MS"] = "5";
    // Under load (four messages or more per interval), batches at least 20 ms apart: a quarter
    // less CPU per order at 300/s and a steadier tail (p99 134-139 ms against 99-187 without);
    // 25 ms saved a third but cost p99 160-175. A trickle is not held back. Session 13,
    // docs/performance.md.
    settings["CONSUMER_BATCH_INTERVAL_MS"] = "20";
  }
  // For trying client settings on the local fleet (FLEET_PG_SETTINGS does the same for
  // PostgreSQL): FLEET_<name> replaces the setting <name> for every agent.
  for (const char* name : {"KAFKA_CONSUMER_PROPERTIES", "KAFKA_PRODUCER_PROPERTIES",
                           "CONSUMER_BATCH_WAIT_MS", "CONSUMER_BATCH_INTERVAL_MS"}) {
    if (const char* value = std::getenv((std::string("FLEET_") + name).c_str())) {
      settings[name] = value;
    }
  }
  return settings;
}

// ---------------------------------------------------------------------------------------------
// Topics

std::string topic_plan_path() { return source_dir() + "/deploy/topics.json"; }

std::vector<bus::TopicSpec> local_topic_plan() {
  return bus::with_partitions_at_most(bus::load_topic_plan(topic_plan_path()),
                                      kLocalBrokerPartitions);
}

bus::TopicPlanReport provision_topics(const std::string& brokers,
                                      const std::vector<bus::TopicSpec>& plan) {
  auto report = bus::apply_topic_plan(brokers, plan);
  if (!report.ok()) {
    std::string text =
        "topics from " + topic_plan_path() + " could not be applied to " + brokers + ":";
    for (const auto& e : report.errors) text += "\n  " + e;
    throw std::runtime_error(text);
  }
  return report;
}

}  // namespace commerce::stack
