#pragma once
// The agent runtime: the infrastructure every agent shares, built from configuration.
// An agent's main.cpp is its composition root: it creates an Agent, constructs its own
// repositories and handlers with the Agent's pieces, registers routes and message handlers,
// and calls run().
//
// Settings (environment or CONFIG_FILE):
//   DATABASE_URL (required)   KAFKA_BROKERS (required)   API_PORT (0)   ADMIN_PORT (0)
//   MIGRATIONS_DIR (migrations/<agent>)   SCHEMAS_DIR (schemas)   LOG_LEVEL (info)
//   DB_POOL_SIZE (8)   HTTP_WORKERS (4)   READY_FILE (optional: JSON with the bound ports)
//   CONSUMER_LANES (the agent's default, 1 unless it sets one: partitions of a consumed batch
//   handled concurrently, each in its own transaction)
//   INSTANCE_ID (hostname-pid)
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "commerce/bus/kafka.hpp"
#include "commerce/bus/schema.hpp"
#include "commerce/config/config.hpp"
#include "commerce/http/http.hpp"
#include "commerce/metrics/registry.hpp"
#include "commerce/store/store.hpp"

namespace commerce::runtime {

class Agent {
 public:
  // Reads settings (throws config::ConfigError), initialises logging, metrics, the pool,
  // the producer and the schema registry. Connects lazily: nothing here needs the network.
  Agent(std::string name, config::Config config);
  ~Agent();

  const std::string& name() const;
  const config::Config& config() const;
  metrics::Registry& metrics();
  store::ConnectionPool& db();
  bus::Producer& producer();
  const bus::SchemaRegistry& schemas();
  store::MessageDispatcher& dispatcher();
  http::Client& http_client();

  // Topics the dispatcher consumes (group = agent name).
  void subscribe(std::vector<std::string> topics);
  // Partitions of a consumed batch handled concurrently (default 1; CONSUMER_LANES overrides).
  // One lane, one transaction per batch, is the cheapest when handlers only touch the database;
  // more suit handlers that wait on something slow outside it (a remote card processor).
  void set_default_consumer_lanes(std::size_t lanes);
  // Routes of the agent's own API, served on API_PORT if any were added.
  http::Router& api();
  // A background loop (timers, sweepers) on its own thread; stop is requested at shutdown.
  void add_worker(std::string name, std::function<void(std::stop_token)> loop);
  // Something to check for /readyz besides PostgreSQL and Kafka.
  void add_readiness_check(std::string name, std::function<bool()> check);

  // Migrates, starts the outbox relay, consumer, workers, API and admin servers; writes
  // READY_FILE; waits for SIGTERM or SIGINT; then stops in reverse order: API, consumer
  // (finishing and committing the batch in hand), workers, relay, producer flush. Returns 0.
  int run();
  // Asks run() to return (tests, embedding).
  void request_stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs `body` and turns a ConfigError or start-up failure into one clear line on stderr and
// exit code 2.
int guarded_main(const std::string& agent, const std::function<int()>& body);

}  // namespace commerce::runtime
