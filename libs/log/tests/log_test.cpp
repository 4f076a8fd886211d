#include "commerce/log/log.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

using namespace commerce::log;
using nlohmann::json;

namespace {
Context ids(std::string message_id, std::string correlation_id = "") {
  Context c;
  c.message_id = std::move(message_id);
  c.correlation_id = std::move(correlation_id);
  return c;
}
}  // namespace

TEST(FormatLine, StandardFieldsInOrder) {
  const auto line = format_line(Level::info, "orders", "order placed", {}, {});
  const auto j = json::parse(line);
  EXPECT_TRUE(std::regex_match(j.at("ts").get<std::string>(),
                               std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)")));
  EXPECT_EQ(j.at("level"), "info");
  EXPECT_EQ(j.at("agent"), "orders");
  EXPECT_EQ(j.at("msg"), "order placed");
  EXPECT_EQ(j.size(), 4u);  // no ids when the context is empty
  EXPECT_EQ(line.find("{\"ts\":"), 0u);
  EXPECT_LT(line.find("\"level\""), line.find("\"agent\""));
  EXPECT_LT(line.find("\"agent\""), line.find("\"msg\""));
  EXPECT_EQ(line.find('\n'), std::string::npos);  // one line
}

TEST(FormatLine, LevelNames) {
  EXPECT_EQ(json::parse(format_line(Level::debug, "a", "m", {}, {}))["level"], "debug");
  EXPECT_EQ(json::parse(format_line(Level::warn, "a", "m", {}, {}))["level"], "warn");
  EXPECT_EQ(json::parse(format_line(Level::error, "a", "m", {}, {}))["level"], "error");
}

TEST(FormatLine, ContextIdsWhenSet) {
  Context c;
  c.message_id = "m1";
  c.correlation_id = "c1";
  c.trace_id = "t1";
  const auto j = json::parse(format_line(Level::info, "a", "m", c, {}));
  EXPECT_EQ(j.at("message_id"), "m1");
  EXPECT_EQ(j.at("correlation_id"), "c1");
  EXPECT_EQ(j.at("trace_id"), "t1");
  EXPECT_FALSE(j.contains("causation_id"));
  EXPECT_FALSE(j.contains("span_id"));
}

TEST(FormatLine, EscapesAndExtraFields) {
  const auto line = format_line(Level::warn, "a", "quote \" backslash \\ newline \n tab \t", {},
                                {{"order_id", "o-1"}, {"msg", "clash"}, {"ctl", "\x01"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  const auto j = json::parse(line);
  EXPECT_EQ(j.at("msg"), "quote \" backslash \\ newline \n tab \t");
  EXPECT_EQ(j.at("order_id"), "o-1");
  EXPECT_EQ(j.at("field.msg"), "clash");
  EXPECT_EQ(j.at("ctl"), "\x01");
}

TEST(FormatLine, InvalidUtf8DoesNotThrow) {
  std::string line;
  ASSERT_NO_THROW(line = format_line(Level::info, "a", "bad \xff\xfe bytes", {}, {{"k", "\xc3"}}));
  const auto j = json::parse(line);
  EXPECT_NE(j.at("msg").get<std::string>().find("bad "), std::string::npos);
}

TEST(FormatLine, KeepsValidUtf8AndReplacesEachBadByte) {
  // "é", "€" and an emoji stay as they are; a lone continuation byte, a truncated sequence, an
  // overlong form and a surrogate each become U+FFFD per byte that starts no valid sequence.
  const std::string good = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa6";
  const auto j = json::parse(format_line(Level::info, "a", good, {}, {}));
  EXPECT_EQ(j.at("msg").get<std::string>(), good);
  const std::string fffd = "\xef\xbf\xbd";
  const auto bad =
      json::parse(format_line(Level::info, "a", "x\x80y\xe2\x82z\xc0\xafw\xed\xa0\x80", {}, {}));
  EXPECT_EQ(bad.at("msg").get<std::string>(),
            "x" + fffd + "y" + fffd + fffd + "z" + fffd + fffd + "w" + fffd + fffd + fffd);
}

TEST(FormatLine, ControlCharactersAreEscaped) {
  const auto line =
      format_line(Level::info, "a", std::string("nul \0 bell \x07 del \x7f", 18), {}, {});
  EXPECT_NE(line.find("\\u0000"), std::string::npos);
  EXPECT_NE(line.find("\\u0007"), std::string::npos);
  EXPECT_EQ(json::parse(line).at("msg").get<std::string>(),
            std::string("nul \0 bell \x07 del \x7f", 18));
}

TEST(FormatLine, AFieldGivenTwiceAppearsOnceWithTheLastValue) {
  const auto line = format_line(Level::info, "a", "m", {}, {{"k", "1"}, {"z", "2"}, {"k", "3"}});
  const auto j = json::parse(line);
  EXPECT_EQ(j.at("k"), "3");
  EXPECT_EQ(j.at("z"), "2");
  EXPECT_EQ(line.find("\"k\""), line.rfind("\"k\""));
  EXPECT_LT(line.find("\"k\""), line.find("\"z\""));
}

TEST(ScopedContext, SetsAndRestoresPerThread) {
  EXPECT_TRUE(current_context().message_id.empty());
  {
    ScopedContext outer(ids("outer", "corr"));
    EXPECT_EQ(current_context().message_id, "outer");
    {
      ScopedContext inner(ids("inner"));
      EXPECT_EQ(current_context().message_id, "inner");
      EXPECT_TRUE(current_context().correlation_id.empty());
      std::string seen_on_other_thread = "unset";
      std::thread([&] { seen_on_other_thread = current_context().message_id; }).join();
      EXPECT_EQ(seen_on_other_thread, "");
    }
    EXPECT_EQ(current_context().message_id, "outer");
    EXPECT_EQ(current_context().correlation_id, "corr");
  }
  EXPECT_TRUE(current_context().message_id.empty());
}

TEST(Write, GoesToStderrAsJsonWithAgentAndContext) {
  init("log-test", "info");
  testing::internal::CaptureStderr();
  {
    ScopedContext ctx(ids("m-42"));
    info("hello", {{"k", "v"}});
  }
  debug("filtered out at info level");
  const std::string out = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  const auto j = json::parse(out.substr(0, out.size() - 1));  // exactly one line
  EXPECT_EQ(j.at("agent"), "log-test");
  EXPECT_EQ(j.at("msg"), "hello");
  EXPECT_EQ(j.at("message_id"), "m-42");
  EXPECT_EQ(j.at("k"), "v");
}

TEST(Init, RejectsUnknownLevel) { EXPECT_THROW(init("x", "verbose"), std::invalid_argument); }

TEST(FormatLine, ParentSpanWhenSet) {
  Context c;
  c.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  c.span_id = "00f067aa0ba902b7";
  c.parent_span_id = "b7ad6b7169203331";
  const auto j = json::parse(format_line(Level::info, "a", "m", c, {{"parent_span_id", "x"}}));
  EXPECT_EQ(j.at("parent_span_id"), "b7ad6b7169203331");
  EXPECT_EQ(j.at("field.parent_span_id"), "x");
}

TEST(CurrentTraceparent, NamesTheCurrentSpanAsParent) {
  EXPECT_EQ(current_traceparent(), "");
  Context c;
  c.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  c.span_id = "00f067aa0ba902b7";
  {
    ScopedContext scoped(c);
    EXPECT_EQ(current_traceparent(), "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  }
  EXPECT_EQ(current_traceparent(), "");
  c.span_id.clear();
  ScopedContext no_span(c);
  EXPECT_EQ(current_traceparent(), "") << "a trace id alone names no parent";
}
