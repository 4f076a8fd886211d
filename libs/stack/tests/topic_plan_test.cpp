// deploy/topics.json against deploy/agents.json, and the development broker honouring it.
#include "commerce/bus/topic_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <map>
#include <set>

#include "commerce/bus/topics.hpp"
#include "commerce/stack/stack.hpp"

namespace commerce::stack {
namespace {

std::map<std::string, bus::TopicSpec> plan_by_name() {
  std::map<std::string, bus::TopicSpec> out;
  for (auto& t : bus::load_topic_plan(topic_plan_path())) out[t.name] = t;
  return out;
}

TEST(TopicPlan, DeclaresCommandsEventsAndDeadLettersOfEveryAgentAndNothingElse) {
  const auto plan = plan_by_name();
  std::set<std::string> expected;
  for (const auto& agent : fleet_agents()) {
    for (const auto& topic : {bus::topics::commands(agent.name), bus::topics::events(agent.name),
                              bus::topics::dlq(agent.name)}) {
      expected.insert(topic);
      ASSERT_TRUE(plan.count(topic)) << topic << " is not declared in " << topic_plan_path();
      const auto& spec = plan.at(topic);
      EXPECT_GE(spec.partitions, 1) << topic;
      EXPECT_GE(spec.replication_factor, 1) << topic;
      ASSERT_TRUE(spec.config.count("retention.ms")) << topic << " declares no retention";
      EXPECT_GT(std::stoll(spec.config.at("retention.ms")), 0) << topic;
    }
  }
  std::set<std::string> declared;
  for (const auto& [name, spec] : plan) declared.insert(name);
  EXPECT_EQ(declared, expected) << "topics.json and agents.json disagree";
}

TEST(TopicPlan, DeadLettersAreKeptLongerThanTheMessagesTheyCameFrom) {
  const auto plan = plan_by_name();
  for (const auto& agent : fleet_agents()) {
    const auto dlq = std::stoll(plan.at(bus::topics::dlq(agent.name)).config.at("retention.ms"));
    const auto commands =
        std::stoll(plan.at(bus::topics::commands(agent.name)).config.at("retention.ms"));
    EXPECT_GT(dlq, commands) << agent.name;
  }
}

// A broker the stack starts is one node: its topics get at most kLocalBrokerPartitions, and
// nothing else differs from the declaration.
TEST(TopicPlan, ALocalBrokerGetsTheDeclaredTopicsWithAtMostTwoPartitions) {
  const auto declared = plan_by_name();
  const auto local = local_topic_plan();
  ASSERT_EQ(local.size(), declared.size());
  bool capped_any = false;
  for (const auto& spec : local) {
    const auto& d = declared.at(spec.name);
    EXPECT_EQ(spec.partitions, std::min(d.partitions, kLocalBrokerPartitions)) << spec.name;
    EXPECT_EQ(spec.replication_factor, d.replication_factor) << spec.name;
    EXPECT_EQ(spec.config, d.config) << spec.name;
    capped_any = capped_any || spec.partitions < d.partitions;
  }
  EXPECT_TRUE(capped_any) << "deploy/topics.json declares no topic with more than "
                          << kLocalBrokerPartitions << " partitions";
}

// The development broker cannot create topics through the Admin API; it starts with the
// declared ones, with their local partition counts, so applying the plan to it finds them all.
TEST(TopicPlan, TheDevelopmentBrokerStartsWithTheDeclaredTopics) {
  DevBroker broker;
  broker.start();
  const auto report = provision_topics(broker.bootstrap(), local_topic_plan());
  EXPECT_THAT(report.created, ::testing::IsEmpty());
  EXPECT_THAT(report.grown, ::testing::IsEmpty());
  EXPECT_EQ(report.unchanged.size(), plan_by_name().size());
  EXPECT_THAT(report.drift, ::testing::IsEmpty());
}

}  // namespace
}  // namespace commerce::stack
