#pragma once
// The fleet's topics, declared in one file (deploy/topics.json) and applied to a broker through
// the Kafka Admin API. Brokers run with topic auto-creation off, so this is the only way a topic
// comes to exist; the local fleet, Compose and Kubernetes all apply the same file.
#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace commerce::bus {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  std::map<std::string, std::string> config;  // topic configs, e.g. retention.ms
};

// Reads {"topics": [{"name", "partitions", "replication_factor", "config": {..}}, ...]}.
// Throws std::runtime_error naming the file and the first problem (a missing or non-positive
// count, a duplicate name, a non-string config value).
std::vector<TopicSpec> load_topic_plan(const std::string& path);

// The plan with every topic's partition count at most `most` (names, replication and configs
// as declared). For a broker that runs fewer instances of each agent than the plan is sized for.
std::vector<TopicSpec> with_partitions_at_most(std::vector<TopicSpec> plan, int most);

// What applying a plan did and found. Drift is what differs and is not ours to change in place
// (more partitions than declared, another replication factor, another config value).
struct TopicPlanReport {
  std::vector<std::string> created;    // topic names
  std::vector<std::string> grown;      // "<topic>: <n> -> <m> partitions"
  std::vector<std::string> unchanged;  // topic names
  std::vector<std::string> drift;      // "<topic>: <what> is <actual>, declared <declared>"
  std::vector<std::string> notes;      // e.g. configs not checked (the broker cannot describe)
  std::vector<std::string> errors;     // "<topic>: <broker's error>"
  bool ok() const { return errors.empty(); }
};

// Idempotent: creates missing topics, adds partitions to topics that have fewer than declared,
// then reads every declared topic's configuration back and reports drift. Waits until every
// declared topic has a leader for each partition (so consumers can start at once), within
// `timeout` overall.
TopicPlanReport apply_topic_plan(const std::string& brokers, const std::vector<TopicSpec>& plan,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Configuration entries of one broker (by node id) as the broker reports them (DescribeConfigs);
// throws std::runtime_error when it cannot be read.
std::map<std::string, std::string> describe_broker_config(const std::string& brokers, int node_id,
                                                          std::chrono::milliseconds timeout);

}  // namespace commerce::bus
