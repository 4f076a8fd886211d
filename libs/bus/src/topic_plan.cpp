// Topic provisioning through librdkafka's Admin API: CreateTopics, CreatePartitions,
// DescribeConfigs, and metadata to see what exists.
#include "commerce/bus/topic_plan.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <thread>

#include "rdkafka_util.hpp"

namespace commerce::bus {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;
struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;

milliseconds left_until(Clock::time_point deadline) {
  return std::max(milliseconds(1),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// What the broker's metadata says about one topic.
struct Existing {
  int partitions = 0;
  int replicas = 0;     // of partition 0
  bool leaders = true;  // every partition has a leader
};

// The admin side of one plan application: one client handle and one result queue.
class Admin {
 public:
  explicit Admin(const std::string& brokers) {
    // Connection refusals while a broker starts are expected: errors only.
    auto conf =
        detail::make_conf(BusConfig{brokers, "topic-provisioner", {}}, {{"log_level", "3"}});
    rk_.reset(detail::create_handle(RD_KAFKA_PRODUCER, std::move(conf)));
    queue_.reset(rd_kafka_queue_new(rk_.get()));
  }

  std::map<std::string, Existing> topics(milliseconds timeout) {
    const struct rd_kafka_metadata* md = nullptr;
    const auto err =
        rd_kafka_metadata(rk_.get(), 1, nullptr, &md, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      throw std::runtime_error(std::string("metadata request failed: ") + rd_kafka_err2str(err));
    }
    std::map<std::string, Existing> out;
    any_broker_ = md->orig_broker_id >= 0 ? md->orig_broker_id
                  : md->broker_cnt > 0    ? md->brokers[0].id
                                          : -1;
    for (int i = 0; i < md->topic_cnt; ++i) {
      const auto& t = md->topics[i];
      if (t.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) continue;
      Existing e;
      e.partitions = t.partition_cnt;
      e.replicas = t.partition_cnt > 0 ? t.partitions[0].replica_cnt : 0;
      for (int p = 0; p < t.partition_cnt; ++p)
        e.leaders = e.leaders && t.partitions[p].leader >= 0;
      if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR) e.leaders = false;  // e.g. leader not available
      out[t.topic] = e;
    }
    rd_kafka_metadata_destroy(md);
    return out;
  }

  OptionsPtr options(milliseconds timeout) {
    OptionsPtr o(rd_kafka_AdminOptions_new(rk_.get(), RD_KAFKA_ADMIN_OP_ANY));
    char error[512];
    rd_kafka_AdminOptions_set_request_timeout(o.get(), static_cast<int>(timeout.count()), error,
                                              sizeof error);
    return o;
  }

  // Waits for the result of the one admin request in flight.
  EventPtr result(rd_kafka_event_type_t type, milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      EventPtr ev(
          rd_kafka_queue_poll(queue_.get(), static_cast<int>(left_until(deadline).count())));
      if (!ev) throw std::runtime_error("admin request timed out");
      if (rd_kafka_event_type(ev.get()) == type) return ev;
    }
  }

  // A broker that answered metadata (-1 before any did).
  int any_broker() const { return any_broker_; }
  rd_kafka_t* handle() { return rk_.get(); }
  rd_kafka_queue_t* queue() { return queue_.get(); }

 private:
  HandlePtr rk_;
  QueuePtr queue_;
  int any_broker_ = -1;
};

// name -> (error code, error string) per topic of a CreateTopics/CreatePartitions result.
std::map<std::string, std::pair<rd_kafka_resp_err_t, std::string>> topic_results(
    const rd_kafka_topic_result_t* const* results, size_t count) {
  std::map<std::string, std::pair<rd_kafka_resp_err_t, std::string>> out;
  for (size_t i = 0; i < count; ++i) {
    const char* why = rd_kafka_topic_result_error_string(results[i]);
    out[rd_kafka_topic_result_name(results[i])] = {rd_kafka_topic_result_error(results[i]),
                                                   why != nullptr ? why : ""};
  }
  return out;
}

std::string describe_error(rd_kafka_resp_err_t err, const std::string& text) {
  return std::string(rd_kafka_err2name(err)) + (text.empty() ? "" : ": " + text);
}

void create_topics(Admin& admin, const std::vector<const TopicSpec*>& missing, milliseconds timeout,
                   TopicPlanReport& report) {
  std::vector<rd_kafka_NewTopic_t*> topics;
  for (const auto* spec : missing) {
    char error[512];
    auto* nt = rd_kafka_NewTopic_new(spec->name.c_str(), spec->partitions, spec->replication_factor,
                                     error, sizeof error);
    if (nt == nullptr) {
      report.errors.push_back(spec->name + ": " + error);
      continue;
    }
    for (const auto& [key, value] : spec->config) {
      rd_kafka_NewTopic_set_config(nt, key.c_str(), value.c_str());
    }
    topics.push_back(nt);
  }
  if (topics.empty()) return;
  auto options = admin.options(timeout);
  char error[512];
  // Let the controller finish creating before it answers.
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                              error, sizeof error);
  rd_kafka_CreateTopics(admin.handle(), topics.data(), topics.size(), options.get(), admin.queue());
  rd_kafka_NewTopic_destroy_array(topics.data(), topics.size());
  auto ev = admin.result(RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout);
  if (const auto err = rd_kafka_event_error(ev.get())) {
    for (const auto* spec : missing) {
      report.errors.push_back(spec->name + ": " +
                              describe_error(err, rd_kafka_event_error_string(ev.get())));
    }
    return;
  }
  size_t count = 0;
  const auto* results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &count);
  for (const auto& [name, outcome] : topic_results(results, count)) {
    if (outcome.first == RD_KAFKA_RESP_ERR_NO_ERROR) {
      report.created.push_back(name);
    } else if (outcome.first == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      report.unchanged.push_back(name);  // created meanwhile by someone else: fine
    } else {
      report.errors.push_back(name + ": " + describe_error(outcome.first, outcome.second));
    }
  }
}

void grow_topics(Admin& admin, const std::vector<std::pair<const TopicSpec*, int>>& short_ones,
                 milliseconds timeout, TopicPlanReport& report) {
  if (short_ones.empty()) return;
  std::vector<rd_kafka_NewPartitions_t*> grow;
  for (const auto& [spec, current] : short_ones) {
    char error[512];
    auto* np = rd_kafka_NewPartitions_new(spec->name.c_str(), static_cast<size_t>(spec->partitions),
                                          error, sizeof error);
    if (np == nullptr) {
      report.errors.push_back(spec->name + ": " + error);
      continue;
    }
    grow.push_back(np);
  }
  auto options = admin.options(timeout);
  char error[512];
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                              error, sizeof error);
  rd_kafka_CreatePartitions(admin.handle(), grow.data(), grow.size(), options.get(), admin.queue());
  rd_kafka_NewPartitions_destroy_array(grow.data(), grow.size());
  auto ev = admin.result(RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT, timeout);
  if (const auto err = rd_kafka_event_error(ev.get())) {
    for (const auto& [spec, current] : short_ones) {
      report.errors.push_back(spec->name + ": " +
                              describe_error(err, rd_kafka_event_error_string(ev.get())));
    }
    return;
  }
  size_t count = 0;
  const auto* results = rd_kafka_CreatePartitions_result_topics(
      rd_kafka_event_CreatePartitions_result(ev.get()), &count);
  const auto outcomes = topic_results(results, count);
  for (const auto& [spec, current] : short_ones) {
    auto it = outcomes.find(spec->name);
    if (it == outcomes.end()) continue;
    if (it->second.first == RD_KAFKA_RESP_ERR_NO_ERROR) {
      report.grown.push_back(spec->name + ": " + std::to_string(current) + " -> " +
                             std::to_string(spec->partitions) + " partitions");
    } else {
      report.errors.push_back(spec->name + ": " +
                              describe_error(it->second.first, it->second.second));
    }
  }
}

// resource name -> its config entries, for resources of one type; throws on a request error.
std::map<std::string, std::map<std::string, std::string>> describe_configs(
    Admin& admin, rd_kafka_ResourceType_t type, const std::vector<std::string>& names,
    milliseconds timeout, std::map<std::string, std::string>* resource_errors = nullptr) {
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const auto& name : names)
    resources.push_back(rd_kafka_ConfigResource_new(type, name.c_str()));
  auto options = admin.options(timeout);
  // Any broker can describe a topic's configuration. Named, the request does not wait for a
  // controller in the metadata (the development broker names none, and lacks the API: it
  // then fails at once instead of timing out).
  const int target =
      type == RD_KAFKA_RESOURCE_BROKER ? std::stoi(names.front()) : admin.any_broker();
  if (target >= 0) {
    char error[512];
    rd_kafka_AdminOptions_set_broker(options.get(), target, error, sizeof error);
  }
  rd_kafka_DescribeConfigs(admin.handle(), resources.data(), resources.size(), options.get(),
                           admin.queue());
  rd_kafka_ConfigResource_destroy_array(resources.data(), resources.size());
  auto ev = admin.result(RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, timeout);
  if (const auto err = rd_kafka_event_error(ev.get())) {
    throw std::runtime_error(describe_error(err, rd_kafka_event_error_string(ev.get())));
  }
  size_t count = 0;
  const auto* described = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(ev.get()), &count);
  std::map<std::string, std::map<std::string, std::string>> out;
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_ConfigResource_name(described[i]);
    if (const auto err = rd_kafka_ConfigResource_error(described[i])) {
      const char* why = rd_kafka_ConfigResource_error_string(described[i]);
      if (resource_errors) (*resource_errors)[name] = describe_error(err, why ? why : "");
      continue;
    }
    size_t entries = 0;
    const auto* configs = rd_kafka_ConfigResource_configs(described[i], &entries);
    auto& values = out[name];
    for (size_t e = 0; e < entries; ++e) {
      const char* value = rd_kafka_ConfigEntry_value(configs[e]);
      values[rd_kafka_ConfigEntry_name(configs[e])] = value != nullptr ? value : "";
    }
  }
  return out;
}

}  // namespace

std::vector<TopicSpec> load_topic_plan(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("topic plan: cannot read " + path);
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    throw std::runtime_error("topic plan: " + path + " is not JSON: " + e.what());
  }
  auto fail = [&](const std::string& what) {
    throw std::runtime_error("topic plan: " + path + ": " + what);
  };
  if (!doc.is_object() || !doc.contains("topics") || !doc["topics"].is_array()) {
    fail("no \"topics\" array");
  }
  std::vector<TopicSpec> plan;
  std::set<std::string> seen;
  for (const auto& t : doc["topics"]) {
    if (!t.is_object() || !t.contains("name") || !t["name"].is_string())
      fail("a topic without a name");
    TopicSpec spec;
    spec.name = t["name"].get<std::string>();
    if (spec.name.empty()) fail("a topic with an empty name");
    if (!seen.insert(spec.name).second) fail(spec.name + " declared twice");
    for (const auto& [key, target] : {std::pair{"partitions", &spec.partitions},
                                      std::pair{"replication_factor", &spec.replication_factor}}) {
      if (!t.contains(key) || !t[key].is_number_integer() || t[key].get<long long>() < 1 ||
          t[key].get<long long>() > 100000) {
        fail(spec.name + ": \"" + key + "\" must be a positive integer");
      }
      *target = t[key].get<int>();
    }
    if (t.contains("config")) {
      if (!t["config"].is_object()) fail(spec.name + ": \"config\" must be an object");
      for (const auto& [key, value] : t["config"].items()) {
        if (!value.is_string()) fail(spec.name + ": config " + key + " must be a string");
        spec.config[key] = value.get<std::string>();
      }
    }
    plan.push_back(std::move(spec));
  }
  return plan;
}

std::vector<TopicSpec> with_partitions_at_most(std::vector<TopicSpec> plan, int most) {
  if (most < 1) throw std::invalid_argument("a topic has at least one partition");
  for (auto& spec : plan) spec.partitions = std::min(spec.partitions, most);
  return plan;
}

TopicPlanReport apply_topic_plan(const std::string& brokers, const std::vector<TopicSpec>& plan,
                                 milliseconds timeout) {
  TopicPlanReport report;
  const auto deadline = Clock::now() + timeout;
  Admin admin(brokers);

  std::map<std::string, Existing> existing;
  try {
    existing = admin.topics(left_until(deadline));
  } catch (const std::exception& e) {
    report.errors.push_back(std::string("broker ") + brokers + ": " + e.what());
    return report;
  }

  std::vector<const TopicSpec*> missing;
  std::vector<std::pair<const TopicSpec*, int>> short_ones;
  for (const auto& spec : plan) {
    auto it = existing.find(spec.name);
    if (it == existing.end()) {
      missing.push_back(&spec);
      continue;
    }
    const Existing& e = it->second;
    if (e.partitions < spec.partitions) {
      short_ones.emplace_back(&spec, e.partitions);
    } else {
      if (e.partitions > spec.partitions) {
        // Partitions can never be removed; the key-to-partition mapping would change anyway.
        report.drift.push_back(spec.name + ": partitions is " + std::to_string(e.partitions) +
                               ", declared " + std::to_string(spec.partitions));
      }
      report.unchanged.push_back(spec.name);
    }
    if (e.replicas != spec.replication_factor) {
      report.drift.push_back(spec.name + ": replication factor is " + std::to_string(e.replicas) +
                             ", declared " + std::to_string(spec.replication_factor));
    }
  }

  try {
    create_topics(admin, missing, left_until(deadline), report);
    grow_topics(admin, short_ones, left_until(deadline), report);
  } catch (const std::exception& e) {
    report.errors.push_back(std::string("admin request: ") + e.what());
    return report;
  }
  if (!report.ok()) return report;

  // Created is not yet usable: wait until every partition has a leader.
  std::vector<std::string> not_ready;
  for (;;) {
    not_ready.clear();
    try {
      existing = admin.topics(left_until(deadline));
      for (const auto& spec : plan) {
        auto it = existing.find(spec.name);
        if (it == existing.end() || it->second.partitions < spec.partitions ||
            !it->second.leaders) {
          not_ready.push_back(spec.name);
        }
      }
    } catch (const std::exception&) {
      not_ready.push_back("(metadata)");
    }
    if (not_ready.empty()) break;
    if (Clock::now() >= deadline) {
      for (const auto& name : not_ready) {
        report.errors.push_back(name + ": not ready (no leader) within the timeout");
      }
      return report;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }

  std::vector<std::string> names;
  for (const auto& spec : plan) {
    if (!spec.config.empty()) names.push_back(spec.name);
  }
  if (names.empty()) return report;
  try {
    std::map<std::string, std::string> resource_errors;
    const auto configs = describe_configs(admin, RD_KAFKA_RESOURCE_TOPIC, names,
                                          left_until(deadline), &resource_errors);
    for (const auto& [name, why] : resource_errors) {
      report.notes.push_back(name + ": configuration not checked: " + why);
    }
    for (const auto& spec : plan) {
      auto it = configs.find(spec.name);
      if (it == configs.end()) continue;
      for (const auto& [key, declared] : spec.config) {
        auto actual = it->second.find(key);
        const std::string value = actual == it->second.end() ? "(unset)" : actual->second;
        if (value != declared) {
          report.drift.push_back(spec.name + ": " + key + " is " + value + ", declared " +
                                 declared);
        }
      }
    }
  } catch (const std::exception& e) {
    // The development broker (librdkafka's mock cluster) cannot describe configs.
    report.notes.push_back(std::string("topic configurations not checked: ") + e.what());
  }
  return report;
}

std::map<std::string, std::string> describe_broker_config(const std::string& brokers, int node_id,
                                                          milliseconds timeout) {
  Admin admin(brokers);
  admin.topics(timeout);  // connects, so the request can name its broker
  std::map<std::string, std::string> errors;
  const std::string name = std::to_string(node_id);
  auto configs = describe_configs(admin, RD_KAFKA_RESOURCE_BROKER, {name}, timeout, &errors);
  if (auto e = errors.find(name); e != errors.end()) {
    throw std::runtime_error("broker " + name + " config: " + e->second);
  }
  return configs[name];
}

}  // namespace commerce::bus
