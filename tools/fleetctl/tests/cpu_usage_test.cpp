#include "cpu_usage.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <iomanip>
#include <sstream>
#include <string>

namespace fleetctl {
namespace {

TEST(ParseProcStat, ReadsPidParentAndCpuEvenWithSpacesInTheName) {
  const std::string stat =
      "4242 (order agent) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1 2 3";
  auto parsed = parse_proc_stat(stat, 100);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->pid, 4242);
  EXPECT_EQ(parsed->ppid, 17);
  EXPECT_DOUBLE_EQ(parsed->cpu_seconds, 3.0);  // (250 + 50) ticks at 100/s
}

TEST(ParseProcStat, RejectsTruncatedOrGarbledLines) {
  EXPECT_FALSE(parse_proc_stat("", 100));
  EXPECT_FALSE(parse_proc_stat("12 (x) S 1 2", 100));
  EXPECT_FALSE(parse_proc_stat("x (y) S 1 2 3 4 5 6 7 8 9 10 11 12 13", 100));
}

TEST(ProcessGroup, NamesBackendsByRoleAndExecutablesByBasename) {
  EXPECT_EQ(process_group(std::string("postgres: order_agent commerce 127.0.0.1(4711) idle\0", 52)),
            "postgres order_agent");
  EXPECT_EQ(process_group("postgres: walwriter "), "postgres (background)");
  EXPECT_EQ(process_group("postgres: checkpointer "), "postgres (background)");
  EXPECT_EQ(process_group(std::string("/x/build/bin/order-agent\0--port\0001", 30)), "order-agent");
  EXPECT_EQ(process_group(""), "?");
}

TEST(CpuSpent, SubtractsPerGroupAndCountsNewGroupsWhole) {
  CpuByGroup before{{"a", 1.0}, {"gone", 5.0}};
  CpuByGroup after{{"a", 3.5}, {"b", 2.0}};
  auto d = cpu_spent(before, after);
  EXPECT_DOUBLE_EQ(d["a"], 2.5);
  EXPECT_DOUBLE_EQ(d["b"], 2.0);
  EXPECT_EQ(d.count("gone"), 0u);
}

TEST(ParseMachineTicks, SumsBusyIdleAndStealFromTheCpuLine) {
  const std::string stat =
      "cpu  100 5 20 300 7 1 2 9 0 0\n"
      "cpu0 50 2 10 150 3 0 1 4 0 0\n"
      "intr 12345\n";
  auto ticks = parse_machine_ticks(stat);
  ASSERT_TRUE(ticks);
  EXPECT_EQ(ticks->busy, 100u + 5 + 20 + 1 + 2);
  EXPECT_EQ(ticks->idle, 300u + 7);
  EXPECT_EQ(ticks->steal, 9u);
  EXPECT_FALSE(parse_machine_ticks("cpu0 1 2 3\n"));
  EXPECT_FALSE(parse_machine_ticks("cpu  1 2 3\n"));
}

TEST(DescribeMachineCpu, GivesEachShareInCores) {
  const long cores = sysconf(_SC_NPROCESSORS_ONLN);
  // Half busy, a quarter idle, a quarter stolen.
  const auto text = describe_machine_cpu({0, 0, 0}, {200, 100, 100});
  std::ostringstream expected;
  expected << std::fixed << std::setprecision(2) << "busy " << 0.5 * cores << ", idle "
           << 0.25 * cores << ", steal " << 0.25 * cores << " of " << cores << " cores";
  EXPECT_EQ(text, expected.str());
  EXPECT_EQ(describe_machine_cpu({5, 5, 5}, {5, 5, 5}), "no CPU time elapsed");
}

TEST(SampleMachineTicks, ReadsThisMachine) {
  auto ticks = sample_machine_ticks();
  ASSERT_TRUE(ticks);
  EXPECT_GT(ticks->busy + ticks->idle, 0u);
}

TEST(SampleCpuTree, CountsThisProcess) {
  volatile double x = 0;
  for (int i = 0; i < 20'000'000; ++i) x = x + i;
  auto sample = sample_cpu_tree();
  EXPECT_GT(sample["load generator (fleetctl)"], 0.0);
}

TEST(JitCompilerThread, KnowsTheJvmsCompilerThreadsByName) {
  // HotSpot's names as the kernel keeps them (15 characters).
  EXPECT_TRUE(is_jit_compiler_thread("C2 CompilerThre"));
  EXPECT_TRUE(is_jit_compiler_thread("C1 CompilerThre"));
  EXPECT_FALSE(is_jit_compiler_thread("VM Thread"));
  EXPECT_FALSE(is_jit_compiler_thread("data-plane-kafk"));
  EXPECT_FALSE(is_jit_compiler_thread("C3 CompilerThre"));
  EXPECT_FALSE(is_jit_compiler_thread(""));
}

TEST(JitCompilerSeconds, IsZeroWithoutAJvmBelowThisProcess) {
  EXPECT_EQ(jit_compiler_seconds(), 0.0);
}

}  // namespace
}  // namespace fleetctl
