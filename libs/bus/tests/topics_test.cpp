#include "commerce/bus/topics.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "commerce/bus/topic_plan.hpp"

namespace commerce::bus {
namespace {

TEST(Topics, FollowTheNamingScheme) {
  EXPECT_EQ(topics::commands("inventory"), "commerce.inventory.commands");
  EXPECT_EQ(topics::events("order"), "commerce.order.events");
  EXPECT_EQ(topics::dlq("api-gateway"), "commerce.api-gateway.dlq");
}

// A topic plan in a temporary file, removed afterwards.
class PlanFile {
 public:
  explicit PlanFile(const std::string& text)
      : path_(
            (std::filesystem::temp_directory_path() / ("topic-plan-" + std::to_string(::getpid()) +
                                                       "-" + std::to_string(counter_++) + ".json"))
                .string()) {
    std::ofstream(path_) << text;
  }
  ~PlanFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST(TopicPlan, ReadsNamesCountsAndConfigs) {
  PlanFile file(R"({"topics":[
    {"name":"commerce.a.events","partitions":6,"replication_factor":3,
     "config":{"retention.ms":"604800000"}},
    {"name":"commerce.a.dlq","partitions":1,"replication_factor":1}]})");
  const auto plan = load_topic_plan(file.path());
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].name, "commerce.a.events");
  EXPECT_EQ(plan[0].partitions, 6);
  EXPECT_EQ(plan[0].replication_factor, 3);
  EXPECT_EQ(plan[0].config.at("retention.ms"), "604800000");
  EXPECT_TRUE(plan[1].config.empty());
}

TEST(TopicPlan, CapsPartitionsAndKeepsEverythingElse) {
  const std::vector<TopicSpec> plan{{"commerce.a.events", 6, 3, {{"retention.ms", "1000"}}},
                                    {"commerce.a.dlq", 1, 1, {}},
                                    {"commerce.b.commands", 2, 1, {}}};
  const auto capped = with_partitions_at_most(plan, 2);
  ASSERT_EQ(capped.size(), 3u);
  EXPECT_EQ(capped[0].name, "commerce.a.events");
  EXPECT_EQ(capped[0].partitions, 2);
  EXPECT_EQ(capped[0].replication_factor, 3);
  EXPECT_EQ(capped[0].config, plan[0].config);
  EXPECT_EQ(capped[1].partitions, 1);
  EXPECT_EQ(capped[2].partitions, 2);
  EXPECT_THROW(with_partitions_at_most(plan, 0), std::invalid_argument);
}

TEST(TopicPlan, RejectsWhatABrokerWouldRefuseOrWeWouldMisread) {
  for (const char* bad : {
           R"({"topics":[{"name":"t","partitions":0,"replication_factor":1}]})",
           R"({"topics":[{"name":"t","partitions":1}]})",
           R"({"topics":[{"name":"t","partitions":"6","replication_factor":1}]})",
           R"({"topics":[{"name":"t","partitions":1,"replication_factor":1,
                          "config":{"retention.ms":604800000}}]})",
           R"({"topics":[{"name":"t","partitions":1,"replication_factor":1},
                         {"name":"t","partitions":2,"replication_factor":1}]})",
           R"({"topics":[{"partitions":1,"replication_factor":1}]})",
           R"({"topic":[]})",
           R"(not json)",
       }) {
    PlanFile file(bad);
    EXPECT_THROW(load_topic_plan(file.path()), std::runtime_error) << bad;
  }
  EXPECT_THROW(load_topic_plan("/nonexistent/topics.json"), std::runtime_error);
}

}  // namespace
}  // namespace commerce::bus
