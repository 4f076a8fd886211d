#pragma once
// The stack fleetctl runs: PostgreSQL (embedded, or DATABASE_URL), the broker (the development
// broker or a local Apache Kafka, or KAFKA_BROKERS), the topics of deploy/topics.json, and every
// agent, stopped in reverse order.
#include <memory>
#include <string>

#include "commerce/stack/stack.hpp"

namespace fleetctl {

struct StackOptions {
  std::string data_dir;    // PostgreSQL data in <data_dir>/pg, logs in <data_dir>/logs
  bool temporary = false;  // a throwaway cluster (bench) instead of <data_dir>/pg
  bool fixed_ports = true;
  // The broker started when KAFKA_BROKERS is not set: the development broker or a real Kafka.
  commerce::stack::BrokerKind broker = commerce::stack::BrokerKind::dev;
};

class LocalStack {
 public:
  explicit LocalStack(StackOptions options);
  ~LocalStack();

  // Starts what is not given by the environment, then every agent in order.
  void start();
  // Stops agents in reverse order, then the broker and PostgreSQL. True when every agent
  // exited with status 0.
  bool stop();

  commerce::stack::Fleet& fleet() { return *fleet_; }
  const std::string& admin_url() const { return admin_url_; }
  const std::string& brokers() const { return brokers_; }
  std::string gateway_url() { return fleet_->api_url("api-gateway"); }

 private:
  StackOptions options_;
  std::unique_ptr<commerce::stack::EmbeddedPostgres> postgres_;
  std::unique_ptr<commerce::stack::LocalBroker> broker_;
  std::unique_ptr<commerce::stack::Fleet> fleet_;
  std::string admin_url_;
  std::string brokers_;
  bool stopped_ = false;
};

// Progress lines go to stderr so stdout keeps the summary (and its last JSON line).
void note(const std::string& line);

}  // namespace fleetctl
