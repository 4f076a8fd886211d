#include "local_stack.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <vector>

namespace fleetctl {

namespace fs = std::filesystem;
using namespace commerce::stack;

void note(const std::string& line) { std::cerr << "[fleetctl] " << line << std::endl; }

LocalStack::LocalStack(StackOptions options) : options_(std::move(options)) {}

LocalStack::~LocalStack() {
  if (!stopped_) {
    try {
      stop();
    } catch (...) {
    }
  }
}

void LocalStack::start() {
  // A throwaway stack's logs tell of this run only: appended to run after run (a bench run
  // writes ~40 MB) they grew without bound and mixed the runs.
  if (options_.temporary) fs::remove_all(options_.data_dir + "/logs");
  fs::create_directories(options_.data_dir);
  if (const char* url = std::getenv("DATABASE_URL"); url && *url) {
    admin_url_ = url;
    note("PostgreSQL: DATABASE_URL (provisioning one role and schema per agent)");
  } else {
    EmbeddedPostgres::Options pg;
    if (!options_.temporary) pg.data_dir = options_.data_dir + "/pg";
    const char* port = std::getenv("PG_PORT");
    // A throwaway cluster (or a fleet on free ports) takes any free port, so it can run beside
    // `fleetctl up`.
    pg.port = static_cast<std::uint16_t>(port && *port ? std::atoi(port)
                                         : options_.temporary || !options_.fixed_ports ? 0
                                                                                       : 55432);
    pg.durable = true;
    postgres_ = std::make_unique<EmbeddedPostgres>(pg);
    note("starting PostgreSQL on 127.0.0.1:" + std::to_string(pg.port) +
         (pg.data_dir.empty() ? " (temporary cluster)" : " (data in " + pg.data_dir + ")"));
    postgres_->start();
    admin_url_ = postgres_->admin_url();
  }
  if (const char* brokers = std::getenv("KAFKA_BROKERS"); brokers && *brokers) {
    brokers_ = brokers;
    note("broker: KAFKA_BROKERS=" + brokers_);
  } else {
    KafkaBroker::Options kafka;
    kafka.quick_start = false;  // a fleet that runs a while wants the optimising JIT
    broker_ = std::make_unique<LocalBroker>(options_.broker, kafka);
    note(options_.broker == BrokerKind::kafka
             ? "starting Apache Kafka (KRaft, one node; the first run resolves its jars with mvn)"
             : "starting the development broker");
    const auto started = std::chrono::steady_clock::now();
    broker_->start();
    brokers_ = broker_->bootstrap();
    note("broker ready on " + brokers_ + " after " +
         std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count()) +
         " ms");
  }
  Fleet::Options fo;
  fo.admin_url = admin_url_;
  fo.brokers = brokers_;
  fo.log_dir = options_.data_dir + "/logs";
  fo.fixed_ports = options_.fixed_ports;
  // Brokers given by KAFKA_BROKERS are taken to be Apache Kafka, sized as deploy/topics.json
  // declares; a broker started here is one node with local partition counts.
  fo.env = agent_settings_for(broker_ ? options_.broker : BrokerKind::kafka);
  if (!broker_) fo.topics = commerce::bus::load_topic_plan(topic_plan_path());
  fleet_ = std::make_unique<Fleet>(fo);
  note("applying " + topic_plan_path() +
       (broker_ ? " (at most " + std::to_string(kLocalBrokerPartitions) +
                      " partitions per topic on this one-node broker)"
                : std::string()));
  for (const auto& agent : fleet_agents()) {
    note("starting " + agent.name);
    fleet_->start(agent.name);
  }
}

bool LocalStack::stop() {
  stopped_ = true;
  bool clean = true;
  if (fleet_) {
    auto instances = fleet_->instances();
    std::reverse(instances.begin(), instances.end());
    for (const auto& instance : instances) {
      auto status = fleet_->stop(instance);
      const bool ok = status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
      if (!ok) {
        clean = false;
        note("agent " + instance + " did not exit cleanly (" +
             (status ? "status " + std::to_string(*status) : std::string("no status")) + "); see " +
             fleet_->log_dir() + "/" + instance + ".log");
      }
    }
    fleet_.reset();
  }
  if (broker_) broker_->stop();
  if (postgres_) postgres_->stop();
  return clean;
}

}  // namespace fleetctl
