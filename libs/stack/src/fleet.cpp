// The fleet as child processes: provisions each agent's role and schema, starts the agent
// executables with their settings, and waits until each is ready.
//
// Instances are named "<agent>-<n>" with the lowest n not in use, so a killed or stopped
// instance started again gets its old id back (and its log file continues where it stopped).
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/stack.hpp"
#include "commerce/store/store.hpp"

namespace commerce::stack {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<AgentSpec> fleet_agents() {
  const std::string path = source_dir() + "/deploy/agents.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("fleet: cannot read " + path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error("fleet: " + path + " is not JSON: " + e.what());
  }
  std::vector<AgentSpec> agents;
  if (!doc.contains("agents") || !doc["agents"].is_array())
    throw std::runtime_error("fleet: " + path + " has no \"agents\" array");
  for (const auto& a : doc["agents"]) {
    AgentSpec spec;
    spec.name = a.at("name").get<std::string>();
    spec.api_port = a.value("api_port", 0);
    spec.admin_port = a.value("admin_port", 0);
    agents.push_back(std::move(spec));
  }
  return agents;
}

namespace {

std::string env_name(const std::string& agent) {
  std::string out = "AGENT_URL_";
  for (char c : agent) out += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "status " + std::to_string(status);
}

// The READY_FILE the runtime writes: {"api_port":N,"admin_port":N,...}. It may be caught
// half-written, so anything unparsable is "not yet".
bool read_ready_file(const std::string& path, std::uint16_t& api, std::uint16_t& admin) {
  std::ifstream in(path);
  if (!in) return false;
  try {
    auto doc = nlohmann::json::parse(in);
    api = doc.value("api_port", 0);
    admin = doc.value("admin_port", 0);
    return admin != 0;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

struct Fleet::Impl {
  Options options;
  std::vector<AgentSpec> specs;
  std::string log_dir;
  bool own_log_dir = false;
  std::string operator_token = core::random_token(24);
  std::map<std::string, std::string> role_urls;        // agent -> its role's URL, once provisioned
  std::vector<std::unique_ptr<RunningAgent>> running;  // in start order
  std::recursive_mutex mutex;
  bool topics_applied = false;
  bus::TopicPlanReport topic_report;
  http::Client client{http::ClientOptions{std::chrono::milliseconds(2000), 4}};

  const AgentSpec& spec(const std::string& agent) const {
    for (const auto& s : specs)
      if (s.name == agent) return s;
    throw std::runtime_error("fleet: unknown agent '" + agent + "' (not in deploy/agents.json)");
  }

  // An instance id, or an agent name meaning its first running instance.
  std::vector<std::unique_ptr<RunningAgent>>::iterator find(const std::string& id) {
    auto it = std::find_if(running.begin(), running.end(),
                           [&](const auto& a) { return a->instance == id; });
    if (it != running.end()) return it;
    it = std::find_if(running.begin(), running.end(), [&](const auto& a) { return a->name == id; });
    if (it == running.end()) throw std::runtime_error("fleet: no running instance '" + id + "'");
    return it;
  }

  std::string next_instance(const std::string& agent) const {
    for (int n = 1;; ++n) {
      const std::string id = agent + "-" + std::to_string(n);
      bool used = std::any_of(running.begin(), running.end(),
                              [&](const auto& a) { return a->instance == id; });
      if (!used) return id;
    }
  }

  std::string role_url(const std::string& agent) {
    auto it = role_urls.find(agent);
    if (it != role_urls.end()) return it->second;
    const std::string url =
        store::provision_agent(options.admin_url, agent, core::random_token(18));
    role_urls[agent] = url;
    return url;
  }
};

Fleet::Fleet(Options options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->specs = fleet_agents();
  if (impl_->options.log_dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "commerce-fleet-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("fleet: cannot create a log folder");
    impl_->log_dir = pattern;
    impl_->own_log_dir = true;
  } else {
    impl_->log_dir = impl_->options.log_dir;
    fs::create_directories(impl_->log_dir);
  }
}

Fleet::~Fleet() {
  try {
    stop_all();
  } catch (...) {
  }
  // Logs of a temporary fleet are kept when asked (debugging a failed test).
  if (impl_->own_log_dir && !getenv("COMMERCE_KEEP_LOGS")) {
    std::error_code ec;
    fs::remove_all(impl_->log_dir, ec);
  }
}

std::string Fleet::start(const std::string& agent, std::chrono::milliseconds timeout) {
  std::lock_guard lock(impl_->mutex);
  const AgentSpec& spec = impl_->spec(agent);
  if (impl_->options.provision_topics && !impl_->topics_applied) {
    // Brokers run with auto-creation off: the topics exist before any agent subscribes.
    impl_->topic_report = provision_topics(impl_->options.brokers, impl_->options.topics.empty()
                                                                       ? local_topic_plan()
                                                                       : impl_->options.topics);
    for (const auto& d : impl_->topic_report.drift)
      std::cerr << "[fleet] topic drift: " << d << "\n";
    impl_->topics_applied = true;
  }
  const std::string instance = impl_->next_instance(agent);
  const bool first_instance = std::none_of(impl_->running.begin(), impl_->running.end(),
                                           [&](const auto& a) { return a->name == agent; });
  const std::string db_url = impl_->role_url(agent);

  const std::string ready_file = impl_->log_dir + "/" + instance + ".ready";
  const std::string log_file = impl_->log_dir + "/" + instance + ".log";
  std::error_code ec;
  fs::remove(ready_file, ec);

  // Fixed ports only for the first instance: a second one of the same agent takes any port.
  const bool fixed = impl_->options.fixed_ports && first_instance;
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", db_url},
      {"KAFKA_BROKERS", impl_->options.brokers},
      {"API_PORT", std::to_string(fixed ? spec.api_port : 0)},
      {"ADMIN_PORT", std::to_string(fixed ? spec.admin_port : 0)},
      {"MIGRATIONS_DIR", source_dir() + "/migrations/" + agent},
      {"SCHEMAS_DIR", source_dir() + "/schemas"},
      {"READY_FILE", ready_file},
      {"INSTANCE_ID", instance},
      {"LOG_LEVEL", "info"},
      {"OPERATOR_TOKEN", impl_->operator_token},
  };
  for (const auto& other : impl_->running) {
    const std::string key = env_name(other->name);
    if (!env.count(key) && other->api_port != 0)
      env[key] = "http://127.0.0.1:" + std::to_string(other->api_port);
  }
  for (const auto& [k, v] : impl_->options.env) env[k] = v;
  if (auto it = impl_->options.agent_env.find(agent); it != impl_->options.agent_env.end())
    for (const auto& [k, v] : it->second) env[k] = v;

  const std::string exe = bin_dir() + "/" + agent + "-agent";
  if (!fs::exists(exe)) throw std::runtime_error("fleet: no executable " + exe + " (build it)");

  auto running = std::make_unique<RunningAgent>();
  running->name = agent;
  running->instance = instance;
  running->database_url = db_url;
  running->process = std::make_unique<Process>(std::vector<std::string>{exe}, env, log_file);

  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_problem = "no READY_FILE yet";
  while (true) {
    if (!running->process->alive()) {
      auto status = running->process->wait(0ms);
      throw std::runtime_error("fleet: " + instance + " " +
                               (status ? describe_status(*status) : std::string("exited")) +
                               " during start-up; log tail:\n" + tail_of(log_file));
    }
    std::uint16_t api = 0, admin = 0;
    if (read_ready_file(ready_file, api, admin)) {
      try {
        auto r = impl_->client.get("http://127.0.0.1:" + std::to_string(admin) + "/readyz");
        if (r.status == 200) {
          running->api_port = api;
          running->admin_port = admin;
          break;
        }
        last_problem = "/readyz answered " + std::to_string(r.status) + ": " + r.body;
      } catch (const std::exception& e) {
        last_problem = std::string("/readyz: ") + e.what();
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      running->process->signal(SIGKILL);
      running->process->wait(5s);
      throw std::runtime_error("fleet: " + instance + " not ready within " +
                               std::to_string(timeout.count()) + " ms (" + last_problem +
                               "); log tail:\n" + tail_of(log_file));
    }
    std::this_thread::sleep_for(50ms);
  }
  impl_->running.push_back(std::move(running));
  return instance;
}

void Fleet::start_all() {
  for (const auto& spec : impl_->specs) start(spec.name);
}

void Fleet::kill(const std::string& instance) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->find(instance);
  (*it)->process->signal(SIGKILL);
  (*it)->process->wait(10s);
  impl_->running.erase(it);
}

std::optional<int> Fleet::stop(const std::string& instance) {
  std::lock_guard lock(impl_->mutex);
  auto it = impl_->find(instance);
  auto status = (*it)->process->stop(std::chrono::seconds(20));
  impl_->running.erase(it);
  return status;
}

void Fleet::stop_all() {
  std::lock_guard lock(impl_->mutex);
  // Reverse start order: the gateway goes first, the agents it calls last.
  while (!impl_->running.empty()) {
    auto& last = impl_->running.back();
    last->process->stop(std::chrono::seconds(20));
    impl_->running.pop_back();
  }
}

std::vector<std::string> Fleet::instances() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<std::string> out;
  for (const auto& a : impl_->running) out.push_back(a->instance);
  return out;
}

RunningAgent& Fleet::agent(const std::string& name_or_instance) {
  std::lock_guard lock(impl_->mutex);
  return **impl_->find(name_or_instance);
}

std::string Fleet::api_url(const std::string& agent) {
  return "http://127.0.0.1:" + std::to_string(this->agent(agent).api_port);
}

std::string Fleet::admin_url(const std::string& agent) {
  return "http://127.0.0.1:" + std::to_string(this->agent(agent).admin_port);
}

const bus::TopicPlanReport& Fleet::topic_report() const { return impl_->topic_report; }

const std::string& Fleet::log_dir() const { return impl_->log_dir; }

const std::string& Fleet::database_admin_url() const { return impl_->options.admin_url; }

const std::string& Fleet::operator_token() const { return impl_->operator_token; }

}  // namespace commerce::stack
