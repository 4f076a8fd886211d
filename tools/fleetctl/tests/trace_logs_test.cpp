#include "trace_logs.hpp"

#include <gtest/gtest.h>

using namespace fleetctl;

namespace {

const std::string kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
const std::string kOther = "0af7651916cd43dd8448eb211c80319c";

std::string line(const std::string& ts, const std::string& agent, const std::string& trace,
                 const std::string& msg, const std::string& span = "00f067aa0ba902b7") {
  return R"({"ts":")" + ts + R"(","level":"info","agent":")" + agent + R"(","msg":")" + msg +
         R"(","trace_id":")" + trace + R"(","span_id":")" + span + R"(","order_id":"o-1"})";
}

}  // namespace

TEST(TraceId, AcceptsTraceIdOrTraceparent) {
  EXPECT_EQ(trace_id_of(kTrace), kTrace);
  EXPECT_EQ(trace_id_of("00-" + kTrace + "-00f067aa0ba902b7-01"), kTrace);
  EXPECT_EQ(trace_id_of("4BF92F3577B34DA6A3CE929D0E0E4736"), kTrace);
  EXPECT_EQ(trace_id_of(""), std::nullopt);
  EXPECT_EQ(trace_id_of("4bf92f35"), std::nullopt);
  EXPECT_EQ(trace_id_of("4bf92f3577b34da6a3ce929d0e0e473z"), std::nullopt);
  EXPECT_EQ(trace_id_of(std::string(32, '0')), std::nullopt);
}

TEST(TraceLines, KeepsOnlyTheTraceMergedInTimeOrder) {
  // Two agents' files, each in its own order; the merge interleaves them by timestamp.
  const std::vector<LogLine> lines = {
      {"api-gateway-1", line("2026-11-22T07:00:00.100Z", "api-gateway", kTrace, "request")},
      {"api-gateway-1", line("2026-11-22T07:00:00.900Z", "api-gateway", kTrace, "late")},
      {"api-gateway-1", line("2026-11-22T07:00:00.200Z", "api-gateway", kOther, "other trace")},
      {"order-1", "not json at all " + kTrace},
      {"order-1", R"({"ts":"2026-11-22T07:00:00.050Z","msg":"no trace"})"},
      {"order-1", line("2026-11-22T07:00:00.300Z", "order", kTrace, "order placed")},
      {"order-1", line("2026-11-22T07:00:00.300Z", "order", kTrace, "same ms, after")},
      {"payment-1", line("2026-11-22T07:00:00.150Z", "payment", kTrace, "payment authorized")},
  };
  const auto found = trace_lines(lines, kTrace);
  std::vector<std::string> msgs;
  for (const auto& l : found) msgs.push_back(l.fields.value("msg", ""));
  EXPECT_EQ(msgs, (std::vector<std::string>{"request", "payment authorized", "order placed",
                                            "same ms, after", "late"}));
  EXPECT_EQ(found[1].agent, "payment");
  EXPECT_EQ(found[1].text, lines[7].text);
}

TEST(TraceLines, AgentFallsBackToTheSource) {
  const std::vector<LogLine> lines = {
      {"inventory-1",
       R"({"ts":"2026-11-22T07:00:00.100Z","msg":"x","trace_id":")" + kTrace + R"("})"}};
  const auto found = trace_lines(lines, kTrace);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].agent, "inventory-1");
}

TEST(TraceLines, ReadableShowsTimeAgentLevelMessageSpanAndFields) {
  const auto found = trace_lines(
      {{"order-1", line("2026-11-22T07:00:00.300Z", "order", kTrace, "order placed")}}, kTrace);
  ASSERT_EQ(found.size(), 1u);
  const auto text = readable(found[0]);
  EXPECT_EQ(text.rfind("07:00:00.300  order", 0), 0u) << text;
  EXPECT_NE(text.find("info"), std::string::npos) << text;
  EXPECT_NE(text.find("order placed  span=00f067aa0ba902b7 order_id=o-1"), std::string::npos)
      << text;
  EXPECT_EQ(text.find(kTrace), std::string::npos) << "the trace id is the same on every line";
}
