#include "commerce/core/traceparent.hpp"

#include <gtest/gtest.h>

#include <regex>

using namespace commerce::core;

namespace {
const char* kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
}

TEST(TraceParent, ParsesAndFormatsTheW3cExample) {
  const auto tp = TraceParent::parse(kExample);
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(tp->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(tp->flags, "01");
  EXPECT_EQ(tp->to_string(), kExample);
}

TEST(TraceParent, RejectsMalformedHeaders) {
  for (const char* bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",        // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xx",  // v00 extra field
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // zero span id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // forbidden version
           "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // separator
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",     // not hex
       }) {
    EXPECT_FALSE(TraceParent::parse(bad).has_value()) << bad;
  }
}

TEST(TraceParent, FutureVersionMayAppendFields) {
  const auto tp =
      TraceParent::parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra");
  ASSERT_TRUE(tp.has_value());
  EXPECT_EQ(tp->span_id, "00f067aa0ba902b7");
}

TEST(TraceParent, ChildKeepsTraceWithNewSpan) {
  const auto parent = *TraceParent::parse(kExample);
  const auto child = parent.child();
  EXPECT_EQ(child.trace_id, parent.trace_id);
  EXPECT_EQ(child.flags, parent.flags);
  EXPECT_NE(child.span_id, parent.span_id);
  EXPECT_TRUE(TraceParent::parse(child.to_string()).has_value());
}

TEST(TraceParent, FreshIsValidAndRandom) {
  const auto a = TraceParent::fresh();
  const auto b = TraceParent::fresh();
  EXPECT_TRUE(std::regex_match(a.to_string(), std::regex("^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")));
  EXPECT_NE(a.trace_id, b.trace_id);
  EXPECT_EQ(TraceParent::parse(a.to_string())->to_string(), a.to_string());
}

TEST(TraceParent, NextHopContinuesAValidParentOrStartsATrace) {
  const auto parent = *TraceParent::parse(kExample);
  const auto hop = TraceParent::next_hop(kExample);
  EXPECT_EQ(hop.trace_id, parent.trace_id);
  EXPECT_NE(hop.span_id, parent.span_id);
  EXPECT_NE(TraceParent::next_hop(kExample).span_id, hop.span_id) << "a new span per hop";

  for (const char* missing : {"", "garbage"}) {
    const auto root = TraceParent::next_hop(missing);
    EXPECT_TRUE(TraceParent::parse(root.to_string()).has_value()) << missing;
    EXPECT_NE(root.trace_id, parent.trace_id);
  }
}
