#pragma once
// The embedded stack: real infrastructure as local processes on loopback, for tests and for
// ./fleet up|demo|bench. A throwaway PostgreSQL cluster, the development broker, and the agents
// themselves as child processes. No Docker, no mocks.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commerce/bus/topic_plan.hpp"

namespace commerce::stack {

// A child process; SIGKILLed on destruction if still running. stdout+stderr go to log_file
// (appended) or are inherited when log_file is empty. The environment is ours overlaid by `env`.
// The child gets SIGKILL when the thread that started it dies (PR_SET_PDEATHSIG), so nothing
// outlives a crashed test. When we are root and `run_as` names a user, the child drops to it.
class Process {
 public:
  Process(std::vector<std::string> argv, std::map<std::string, std::string> env = {},
          std::string log_file = "", std::string run_as = "");
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  bool alive();
  void signal(int sig);
  // Waits for exit up to `timeout`; the exit status (as from waitpid) or nullopt.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, wait up to grace, then SIGKILL. Returns the exit status.
  std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(15));

 private:
  int pid_ = -1;
  std::optional<int> status_;
};

// Polls `condition` until it holds or `timeout` passes. Not a sleep: returns as soon as it holds.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval = std::chrono::milliseconds(20));

std::uint16_t free_port();
// The last `max_bytes` of a file ("..." first when cut), for error messages and test failures
// that should show a log's end; "(no log at <path>)" when it cannot be read.
std::string tail_of(const std::string& path, std::size_t max_bytes = 4000);
// Lower-case and unique: "<prefix>_<random hex>".
std::string unique_name(const std::string& prefix);

// Where the build put executables (<binary dir>/bin) and where the sources are (for
// migrations/ and schemas/). Overridable by COMMERCE_BIN_DIR / COMMERCE_SOURCE_DIR.
std::string bin_dir();
std::string source_dir();

// A PostgreSQL cluster in a folder (initdb on first start; run as the `postgres` user when we
// are root, since initdb refuses root), listening on 127.0.0.1 only and on a Unix socket.
class EmbeddedPostgres {
 public:
  struct Options {
    std::string data_dir;    // empty: a new temporary folder, removed on destruction
    std::uint16_t port = 0;  // 0: a free port
    bool durable = true;     // false: fsync off (tests that never crash the server)
    int max_connections = 300;
  };
  EmbeddedPostgres();
  explicit EmbeddedPostgres(Options options);
  ~EmbeddedPostgres();  // stops the server
  void start();
  void stop();     // fast shutdown
  void kill();     // SIGKILL the postmaster (a crash)
  void restart();  // start again on the same port and data
  bool running() const { return running_; }
  std::uint16_t port() const { return port_; }
  // Superuser URL, over the Unix socket: a local client's round trip costs the server far less
  // kernel time than over TCP loopback. Agents provisioned from it connect the same way.
  std::string admin_url(const std::string& database = "postgres") const;
  // Superuser URL over TCP loopback, for a client that cannot reach the socket's folder.
  std::string admin_tcp_url(const std::string& database = "postgres") const;

  // One cluster per test process, started on first use.
  static EmbeddedPostgres& shared();

 private:
  void initdb();
  std::string log_tail() const;

  Options options_;
  bool own_dir_ = false;
  std::string root_dir_;  // the temporary folder holding data/ and server.log
  std::string socket_dir_;
  bool own_socket_dir_ = false;
  std::string log_file_;
  std::unique_ptr<Process> server_;  // postgres in the foreground, our child
  std::uint16_t port_ = 0;
  bool running_ = false;
};

// The development broker: tools/dev_broker (librdkafka's mock cluster, which serves the Kafka
// wire protocol on loopback) as a child process.
class DevBroker {
 public:
  DevBroker();
  ~DevBroker();
  void start();
  void stop();
  const std::string& bootstrap() const { return bootstrap_; }

  static DevBroker& shared();

 private:
  std::unique_ptr<Process> process_;
  std::string bootstrap_;
  std::string dir_;
};

// A real Apache Kafka broker: one KRaft node (broker and controller in one JVM) as a child
// process. Its jars come from Maven Central at the version pinned in deploy/kafka/pom.xml,
// resolved by mvn on first use and then from the local Maven repository (the resolved classpath
// is cached in .fleet/kafka/). Storage is formatted in a fresh temporary folder, listeners are
// on 127.0.0.1 on free ports, topic auto-creation is off; stop() or the destructor stops it and
// the destructor removes the folder. Needs `java` (17+) and `mvn` on PATH.
// A fresh KRaft cluster id for `kafka-storage format`.
std::string kraft_cluster_id();

class KafkaBroker {
 public:
  struct Options {
    std::string heap = "512m";  // -Xmx
    // C1 only (-XX:TieredStopAtLevel=1): starts faster on a small machine, runs slower; for
    // tests. The fleet's `up` and `bench` turn it off.
    bool quick_start = true;
    std::chrono::milliseconds start_timeout = std::chrono::seconds(120);
  };
  KafkaBroker();
  explicit KafkaBroker(Options options);
  ~KafkaBroker();
  KafkaBroker(const KafkaBroker&) = delete;
  KafkaBroker& operator=(const KafkaBroker&) = delete;

  // Formats the storage (first start only), starts the JVM and waits until the broker answers a
  // metadata request. Throws with the broker's log tail when it does not within the timeout.
  void start();
  void stop();  // controlled shutdown (SIGTERM), SIGKILL after a grace period
  // SIGKILL (a crash); start() brings it back on the same ports and data.
  void kill();
  bool running();
  const std::string& bootstrap() const { return bootstrap_; }
  const std::string& log_file() const { return log_file_; }
  // How long the last start() took (format included), for reports.
  std::chrono::milliseconds start_duration() const { return start_duration_; }

  static KafkaBroker& shared();

 private:
  void format(const std::string& classpath);

  Options options_;
  std::unique_ptr<Process> process_;
  std::string dir_;
  std::string log_file_;
  std::string bootstrap_;
  bool formatted_ = false;
  std::uint16_t port_ = 0;
  std::uint16_t controller_port_ = 0;
  std::chrono::milliseconds start_duration_{0};
};

// The Kafka broker's Java classpath (see KafkaBroker): the cached one when every jar in it still
// exists, otherwise resolved now with mvn (which may download on a first run).
std::string kafka_classpath();

// Which broker a fixture or fleetctl starts: the development broker (librdkafka's mock cluster,
// in-memory, starts in milliseconds) or a real Apache Kafka.
enum class BrokerKind { dev, kafka };
BrokerKind parse_broker_kind(const std::string& name);  // "dev" | "kafka"; throws otherwise
std::string to_string(BrokerKind kind);
// FLEET_BROKER (dev | kafka); the development broker when unset.
BrokerKind broker_kind_from_env();

// A broker of either kind, owned: for fleetctl and tests that choose.
class LocalBroker {
 public:
  explicit LocalBroker(BrokerKind kind, KafkaBroker::Options kafka = {});
  ~LocalBroker();
  void start();
  void stop();
  BrokerKind kind() const { return kind_; }
  const std::string& bootstrap() const;

 private:
  BrokerKind kind_;
  std::unique_ptr<DevBroker> dev_;
  std::unique_ptr<KafkaBroker> kafka_;
};

// This process's shared broker of the kind FLEET_BROKER names (DevBroker::shared() or
// KafkaBroker::shared()); its bootstrap address.
std::string shared_broker_bootstrap();

// What agents set for this broker (KAFKA_CONSUMER_PROPERTIES, CONSUMER_BATCH_WAIT_MS,
// CONSUMER_BATCH_INTERVAL_MS). Apache Kafka answers a fetch as soon as data arrives, so consumers
// may wait up to 100 ms, which spares the broker most idle fetches without delaying a hop; the
// development broker answers only when the wait ends, so agents keep the library's 5 ms there.
// On Kafka consumers also batch under load, which the development broker does by itself.
// FLEET_<setting> in the environment replaces any of the four (for trying settings).
std::map<std::string, std::string> agent_settings_for(BrokerKind kind);

// deploy/topics.json under the source folder.
std::string topic_plan_path();

// A broker the stack starts itself (the development broker, or Apache Kafka for tests and
// ./fleet) is one node on one machine, running one or two instances of each agent. Its topics
// get at most this many partitions: two let a second instance share an agent's work, and every
// further partition costs the broker on each fetch (librdkafka sends full fetch requests, an
// entry per partition; docs/performance.md, session 9). deploy/topics.json is sized for
// deployments (Kubernetes scales the busiest agents to as many instances as partitions); brokers
// given by KAFKA_BROKERS get its counts as declared.
inline constexpr int kLocalBrokerPartitions = 2;

// deploy/topics.json as a broker the stack starts applies it (kLocalBrokerPartitions).
std::vector<bus::TopicSpec> local_topic_plan();

// Applies `plan` to `brokers`; throws std::runtime_error listing the errors when a topic cannot
// be created. Drift is reported, not thrown.
bus::TopicPlanReport provision_topics(const std::string& brokers,
                                      const std::vector<bus::TopicSpec>& plan);

// The agents of the fleet, in start order, from deploy/agents.json.
struct AgentSpec {
  std::string name;
  std::uint16_t api_port = 0;  // fixed port for ./fleet up (0 in tests: any free port)
  std::uint16_t admin_port = 0;
};
std::vector<AgentSpec> fleet_agents();

// A running agent process with its bound ports (read from its READY_FILE).
struct RunningAgent {
  std::string name;
  std::string instance;
  std::unique_ptr<Process> process;
  std::uint16_t api_port = 0;
  std::uint16_t admin_port = 0;
  std::string database_url;  // the agent role's URL
};

// Starts agents as processes against a PostgreSQL (admin URL) and a broker. Provisions each
// agent's role and schema first. Agent logs go to <log_dir>/<instance>.log.
class Fleet {
 public:
  struct Options {
    std::string admin_url;  // superuser URL of the database to use
    std::string brokers;
    std::string log_dir;                     // empty: a temporary folder
    bool fixed_ports = false;                // use ports from deploy/agents.json
    std::map<std::string, std::string> env;  // extra settings for every agent
    // extra settings per agent name
    std::map<std::string, std::map<std::string, std::string>> agent_env;
    // Apply the topic plan to `brokers` before the first agent starts (brokers run with topic
    // auto-creation off). Empty topics: local_topic_plan(), for a broker the stack started.
    bool provision_topics = true;
    std::vector<bus::TopicSpec> topics;
  };
  explicit Fleet(Options options);
  ~Fleet();  // stops every agent (SIGTERM, then SIGKILL)

  // Starts one instance of `agent` and waits until it is ready (READY_FILE written and
  // /readyz answering 200). Returns the instance id.
  std::string start(const std::string& agent,
                    std::chrono::milliseconds timeout = std::chrono::seconds(60));
  void start_all();
  // SIGKILL (crash) or SIGTERM (graceful) one instance; graceful returns the exit status.
  void kill(const std::string& instance);
  std::optional<int> stop(const std::string& instance);
  void stop_all();

  RunningAgent& agent(const std::string& name_or_instance);
  std::string api_url(const std::string& agent);    // http://127.0.0.1:<api port>
  std::string admin_url(const std::string& agent);  // http://127.0.0.1:<admin port>
  const std::string& log_dir() const;
  // Superuser URL (to read agents' own state in assertions and demo counts).
  const std::string& database_admin_url() const;
  // The token every agent gets as OPERATOR_TOKEN (operator calls such as creating merchants).
  const std::string& operator_token() const;
  // Running instance ids in start order ("<agent>-<n>").
  std::vector<std::string> instances() const;
  // What applying the topic plan found (empty until the first agent started).
  const bus::TopicPlanReport& topic_report() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commerce::stack
