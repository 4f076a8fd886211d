#include "commerce/runtime/agent.hpp"

#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "commerce/bus/topics.hpp"
#include "commerce/core/thread_name.hpp"
#include "commerce/log/log.hpp"
#include "runtime_detail.hpp"

namespace commerce::runtime {
namespace {

using namespace std::chrono_literals;

struct Settings {
  std::string database_url;
  std::string brokers;
  std::uint16_t api_port = 0;
  std::uint16_t admin_port = 0;
  std::string migrations_dir;
  std::string schemas_dir;
  std::string log_level;
  std::size_t pool_size = 8;
  int http_workers = 4;
  std::size_t consumer_lanes = 0;  // 0: the agent's own choice
  std::chrono::milliseconds consumer_batch_wait{1};
  std::chrono::milliseconds consumer_batch_interval{0};
  detail::InboxRetention inbox;
  // librdkafka properties applied over ours (KAFKA_CONSUMER_PROPERTIES, KAFKA_PRODUCER_PROPERTIES).
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
  std::string ready_file;
  std::string instance_id;
};

// An integer setting within [low, high]; `range` words the bounds in the error when they need
// a note.
std::int64_t int_between(const config::Config& c, const std::string& key, std::int64_t fallback,
                         std::int64_t low, std::int64_t high, std::string range = "") {
  const auto value = c.get_int(key, fallback);
  if (value < low || value > high) {
    if (range.empty()) range = std::to_string(low) + " and " + std::to_string(high);
    throw config::ConfigError("config: " + key + " must be between " + range + ", got \"" +
                              std::to_string(value) + "\"");
  }
  return value;
}

// Every setting is read and checked before anything starts, so a bad one stops start-up with
// one line naming it.
Settings read_settings(const std::string& agent, const config::Config& c) {
  Settings s;
  s.database_url = c.require("DATABASE_URL");
  s.brokers = c.require("KAFKA_BROKERS");
  s.api_port = c.get_port("API_PORT", 0);
  s.admin_port = c.get_port("ADMIN_PORT", 0);
  s.migrations_dir = c.get("MIGRATIONS_DIR", "migrations/" + agent);
  s.schemas_dir = c.get("SCHEMAS_DIR", "schemas");
  s.log_level = c.get("LOG_LEVEL", "info");
  if (s.log_level != "debug" && s.log_level != "info" && s.log_level != "warn" &&
      s.log_level != "error") {
    throw config::ConfigError("config: LOG_LEVEL must be one of debug, info, warn, error, got \"" +
                              s.log_level + "\"");
  }
  s.pool_size = static_cast<std::size_t>(int_between(c, "DB_POOL_SIZE", 8, 1, 1000));
  s.http_workers = static_cast<int>(int_between(c, "HTTP_WORKERS", 4, 1, 256));
  s.consumer_lanes = static_cast<std::size_t>(
      int_between(c, "CONSUMER_LANES", 0, 0, 64, "1 and 64 (0: the agent's default)"));
  // How long a consumer gathers more messages once one is in (one transaction for all of them).
  s.consumer_batch_wait =
      std::chrono::milliseconds(int_between(c, "CONSUMER_BATCH_WAIT_MS", 1, 0, 1000));
  // The least time between a consumer's batches (0: none): under load, fewer and larger ones.
  s.consumer_batch_interval =
      std::chrono::milliseconds(int_between(c, "CONSUMER_BATCH_INTERVAL_MS", 0, 0, 1000));
  // Redelivery is bounded by the topics' retention (7 days, deploy/topics.json): an id forgotten
  // sooner could be handled twice. So that is the least we accept; the default is twice it.
  const auto inbox_hours = int_between(c, "INBOX_RETENTION_HOURS", 24 * 14, 24 * 7, 24 * 3650,
                                       "168 (the topics' 7 days) and 87600");
  s.inbox.keep = std::chrono::hours(inbox_hours);
  s.consumer_properties = c.get_pairs("KAFKA_CONSUMER_PROPERTIES");
  s.producer_properties = c.get_pairs("KAFKA_PRODUCER_PROPERTIES");
  s.ready_file = c.get("READY_FILE", "");
  s.instance_id = c.get("INSTANCE_ID", detail::default_instance_id());
  return s;
}

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Runs one shutdown step; a failure is logged and the remaining steps still run.
// A slow step is logged with its duration: a shutdown that overruns its grace period says where.
template <class F>
void step(const char* what, F f) {
  const auto started = std::chrono::steady_clock::now();
  try {
    f();
  } catch (const std::exception& e) {
    log::error("shutdown step failed", {{"step", what}, {"error", e.what()}});
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (took >= std::chrono::milliseconds(500)) {
    log::info("slow shutdown step", {{"step", what}, {"ms", std::to_string(took.count())}});
  }
}

}  // namespace

struct Agent::Impl {
  std::string name;
  config::Config config;
  Settings settings;

  // Declared first so it outlives everything holding a pointer to it.
  metrics::Registry metrics;
  std::unique_ptr<store::ConnectionPool> pool;
  // One transaction per consumed batch: with 4 lanes the fleet spent a third more CPU per
  // order at 300/s and queued longer (docs/performance.md).
  std::size_t default_lanes = 1;
  std::unique_ptr<bus::Producer> producer;
  std::unique_ptr<bus::SchemaRegistry> schemas;
  std::unique_ptr<store::MessageDispatcher> dispatcher;
  std::unique_ptr<http::Client> client;
  std::unique_ptr<detail::HttpMetrics> http_metrics;

  std::vector<std::string> topics;
  http::Router api;
  bool api_used = false;
  struct Worker {
    std::string name;
    std::function<void(std::stop_token)> loop;
  };
  std::vector<Worker> workers;
  std::vector<std::pair<std::string, std::function<bool()>>> checks;

  // Started by run(), stopped by shutdown().
  std::unique_ptr<store::OutboxRelay> relay;
  std::unique_ptr<bus::Consumer> consumer;
  std::vector<std::jthread> worker_threads;
  std::unique_ptr<http::Server> admin_server;
  std::unique_ptr<http::Server> api_server;

  std::mutex failed_mutex;
  std::vector<std::string> failed_workers;  // a worker whose loop threw: not ready
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> serving{false};  // from "ready" until shutdown begins
  bool started = false;
  bool ready_file_written = false;

  std::vector<std::pair<std::string, bool>> run_checks() {
    std::vector<std::pair<std::string, bool>> results;
    auto guarded = [](const std::function<bool()>& f) {
      try {
        return f();
      } catch (const std::exception&) {
        return false;
      }
    };
    // Not ready while shutting down, so load balancers drain this instance first.
    results.emplace_back("running", serving.load());
    results.emplace_back("postgres", guarded([&] { return pool->reachable(); }));
    if (consumer) results.emplace_back("consumer", consumer->running());
    results.emplace_back("kafka", guarded([&] { return producer->reachable(2s); }));
    for (const auto& [check_name, check] : checks) {
      results.emplace_back(check_name, guarded(check));
    }
    std::lock_guard lock(failed_mutex);
    for (const auto& w : failed_workers) results.emplace_back("worker:" + w, false);
    return results;
  }

  http::ServerOptions server_options(std::uint16_t port, int worker_threads,
                                     std::string thread_name) {
    http::ServerOptions options;
    options.port = port;
    options.thread_name = std::move(thread_name);
    options.worker_threads = worker_threads;
    options.on_response = [this](const http::Request& req, const http::Response& res,
                                 std::chrono::nanoseconds elapsed) {
      http_metrics->record(req.route, req.method, res.status,
                           std::chrono::duration<double>(elapsed).count());
    };
    return options;
  }

  http::Router admin_router() {
    http::Router r;
    r.add("GET", "/healthz", [](const http::Request&) {
      return http::Response::json(200, {{"status", "ok"}});
    });
    r.add("GET", "/readyz",
          [this](const http::Request&) { return detail::readiness_response(run_checks()); });
    r.add("GET", "/metrics", [this](const http::Request&) {
      return http::Response::text(200, metrics.render(), "text/plain; version=0.0.4");
    });
    return r;
  }

  void start_workers() {
    for (const auto& w : workers) {
      worker_threads.emplace_back([this, w](std::stop_token stop) {
        core::name_this_thread(w.name);
        try {
          w.loop(stop);
        } catch (const std::exception& e) {
          log::error("worker failed", {{"worker", w.name}, {"error", e.what()}});
          std::lock_guard lock(failed_mutex);
          failed_workers.push_back(w.name);
        }
      });
    }
  }

  void write_ready_file() {
    if (settings.ready_file.empty()) return;
    const nlohmann::json ready = {{"agent", name},
                                  {"instance", settings.instance_id},
                                  {"pid", static_cast<long>(::getpid())},
                                  {"api_port", api_server ? api_server->port() : 0},
                                  {"admin_port", admin_server->port()}};
    detail::write_file_atomically(settings.ready_file, ready.dump() + "\n");
    ready_file_written = true;
  }

  void wait_for_stop() {
    const sigset_t set = stop_signals();
    while (!stop_requested.load()) {
      timespec timeout{0, 100'000'000};  // re-check request_stop() every 100 ms
      const int sig = ::sigtimedwait(&set, nullptr, &timeout);
      if (sig == SIGTERM || sig == SIGINT) {
        log::info("stop signal received", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
        return;
      }
    }
    log::info("stop requested");
  }

  // Reverse of start-up. Tolerates a partial start (run() failing half way) and repeated calls.
  void shutdown() {
    serving = false;
    if (api_server) step("api server", [&] { api_server->stop(); });
    if (consumer) step("consumer", [&] { consumer->stop(); });
    for (auto& t : worker_threads) t.request_stop();  // all at once, then wait for each
    for (auto& t : worker_threads) {
      step("worker", [&] {
        if (t.joinable()) t.join();
      });
    }
    worker_threads.clear();
    if (relay) step("outbox relay", [&] { relay->stop(); });
    if (started) {
      step("producer flush", [&] {
        if (!producer->flush(10s)) log::warn("producer flush timed out; undelivered messages");
      });
    }
    if (admin_server) step("admin server", [&] { admin_server->stop(); });
    if (ready_file_written) {
      std::remove(settings.ready_file.c_str());
      ready_file_written = false;
    }
    api_server.reset();
    consumer.reset();
    relay.reset();
    admin_server.reset();
    started = false;
  }
};

Agent::Agent(std::string name, config::Config config) : impl_(std::make_unique<Impl>()) {
  auto& i = *impl_;
  i.name = std::move(name);
  i.config = std::move(config);
  i.settings = read_settings(i.name, i.config);

  // Before any thread exists (librdkafka, pool, servers), so every thread inherits the mask and
  // SIGTERM/SIGINT are only ever taken by sigtimedwait in run().
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  log::init(i.name, i.settings.log_level);
  i.metrics
      .gauge("agent_info", "Constant 1, labelled with the agent and its instance",
             {"agent", "instance"})
      .with({i.name, i.settings.instance_id})
      .set(1);
  i.metrics.gauge("process_start_time_seconds", "Start time of the process since the epoch")
      .with()
      .set(static_cast<double>(std::time(nullptr)));
  i.pool = std::make_unique<store::ConnectionPool>(i.settings.database_url, i.settings.pool_size,
                                                   &i.metrics);
  detail::collect_outbox_backlog(i.metrics, *i.pool);
  i.producer = std::make_unique<bus::Producer>(
      bus::BusConfig{i.settings.brokers, i.name, i.settings.producer_properties});
  i.schemas =
      std::make_unique<bus::SchemaRegistry>(bus::SchemaRegistry::load(i.settings.schemas_dir));
  i.dispatcher = std::make_unique<store::MessageDispatcher>(*i.pool, *i.schemas, &i.metrics);
  i.client = std::make_unique<http::Client>();
  i.http_metrics = std::make_unique<detail::HttpMetrics>(i.metrics);
}

Agent::~Agent() {
  if (impl_) impl_->shutdown();
}

const std::string& Agent::name() const { return impl_->name; }
const config::Config& Agent::config() const { return impl_->config; }
metrics::Registry& Agent::metrics() { return impl_->metrics; }
store::ConnectionPool& Agent::db() { return *impl_->pool; }
bus::Producer& Agent::producer() { return *impl_->producer; }
const bus::SchemaRegistry& Agent::schemas() { return *impl_->schemas; }
store::MessageDispatcher& Agent::dispatcher() { return *impl_->dispatcher; }
http::Client& Agent::http_client() { return *impl_->client; }

void Agent::subscribe(std::vector<std::string> topics) {
  for (auto& t : topics) impl_->topics.push_back(std::move(t));
}

void Agent::set_default_consumer_lanes(std::size_t lanes) {
  impl_->default_lanes = std::max<std::size_t>(1, lanes);
}

http::Router& Agent::api() {
  impl_->api_used = true;
  return impl_->api;
}

void Agent::add_worker(std::string name, std::function<void(std::stop_token)> loop) {
  impl_->workers.push_back({std::move(name), std::move(loop)});
}

void Agent::add_readiness_check(std::string name, std::function<bool()> check) {
  impl_->checks.emplace_back(std::move(name), std::move(check));
}

int Agent::run() {
  auto& i = *impl_;
  const auto& s = i.settings;
  log::info("starting", {{"instance", s.instance_id}});
  try {
    store::migrate(s.database_url, s.migrations_dir);
    i.started = true;

    i.relay = std::make_unique<store::OutboxRelay>(s.database_url, *i.producer, &i.metrics);
    i.relay->start();

    if (!i.topics.empty()) {
      bus::ConsumerOptions options;
      options.group = i.name;
      options.topics = i.topics;
      options.dead_letter_topic = bus::topics::dlq(i.name);
      options.metrics = &i.metrics;
      options.lanes = s.consumer_lanes ? s.consumer_lanes : i.default_lanes;
      options.batch_wait = s.consumer_batch_wait;
      options.batch_interval = s.consumer_batch_interval;
      options.message_types = i.dispatcher->handled_types();
      i.consumer = std::make_unique<bus::Consumer>(
          bus::BusConfig{s.brokers, i.name, s.consumer_properties}, std::move(options),
          i.dispatcher->batch_handler(), *i.producer);
      i.consumer->start();
    }

    // Every agent keeps its inbox within the retention period; on two instances both prune,
    // harmlessly (a row deleted by one is skipped by the other).
    i.workers.push_back({"inbox-retention", [&i, retention = s.inbox](std::stop_token stop) {
                           detail::keep_inbox_within_retention(stop, *i.pool, i.metrics, retention);
                         }});
    i.start_workers();

    i.admin_server = std::make_unique<http::Server>(i.admin_router(),
                                                    i.server_options(s.admin_port, 2, "admin"));
    i.admin_server->start();
    if (i.api_used) {
      i.api_server = std::make_unique<http::Server>(
          i.api, i.server_options(s.api_port, s.http_workers, "api"));
      i.api_server->start();
    }

    i.serving = true;  // before READY_FILE: whoever reads it may ask /readyz at once
    i.write_ready_file();
  } catch (...) {
    i.shutdown();
    throw;
  }

  log::info("ready", {{"instance", s.instance_id},
                      {"api_port", std::to_string(i.api_server ? i.api_server->port() : 0)},
                      {"admin_port", std::to_string(i.admin_server->port())}});
  i.wait_for_stop();
  log::info("stopping");
  i.shutdown();
  log::info("stopped");
  return 0;
}

void Agent::request_stop() { impl_->stop_requested = true; }

namespace {

// Error texts from libraries (libpq's especially) may span lines; the report is one line.
std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  const auto end = text.find_last_not_of(' ');
  text.erase(end == std::string::npos ? 0 : end + 1);
  return text;
}

// A crash leaves its stack in the agent's log (stderr), as module+offset pairs that addr2line
// resolves against the same build; then the default action (core dump, exit by the signal).
// Only async-signal-safe calls: backtrace's unwinder is loaded up front, below.
void report_fatal_signal(int signo) {
  static const char header[] = "fatal signal, stack:\n";
  (void)!::write(STDERR_FILENO, header, sizeof header - 1);
  void* frames[64];
  const int depth = ::backtrace(frames, 64);
  ::backtrace_symbols_fd(frames, depth, STDERR_FILENO);
  ::raise(signo);  // SA_RESETHAND restored the default action
}

void install_crash_reporter() {
  void* warm_up[1];
  (void)::backtrace(warm_up, 1);  // loads libgcc's unwinder now, not inside the handler
  struct sigaction action {};
  action.sa_handler = report_fatal_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND;
  for (int signo : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(signo, &action, nullptr);
}

}  // namespace

int guarded_main(const std::string& agent, const std::function<int()>& body) {
  install_crash_reporter();
  try {
    return body();
  } catch (const std::exception& e) {  // config::ConfigError included
    std::cerr << agent << ": " << one_line(e.what()) << std::endl;
  } catch (...) {
    std::cerr << agent << ": unknown error" << std::endl;
  }
  return 2;
}

}  // namespace commerce::runtime
