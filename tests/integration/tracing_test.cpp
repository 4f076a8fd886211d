// One order's whole path found by one id: the gateway answers with its traceparent, and
// `fleetctl logs --trace` finds that trace's lines in every agent's JSON log, in time order.
#include <sys/wait.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "commerce/core/ids.hpp"
#include "commerce/core/traceparent.hpp"
#include "fleet_fixture.hpp"

namespace commerce::integration {
namespace {

using nlohmann::json;

struct Run {
  int exit_code = -1;
  std::string out;
};

// Runs the real fleetctl binary; its stdout and exit code.
Run fleetctl_logs(const std::string& args) {
  const std::string command =
      std::string(COMMERCE_BINARY_DIR) + "/bin/fleetctl logs " + args + " 2>/dev/null";
  Run run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

class Tracing : public FleetTest {};

TEST_F(Tracing, OneOrdersPathAcrossAgentsIsFoundByItsTraceId) {
  const auto sku = add_product("TRACE", 1500, 5);
  const std::string trace_id = core::random_hex(32);
  const std::string caller_span = core::random_hex(16);
  http::Headers headers;
  headers.set("traceparent", "00-" + trace_id + "-" + caller_span + "-01");
  headers.set("Idempotency-Key", core::uuid_v7());
  const auto body =
      scenario::GatewayClient::order_body("buyer@example.com", {{sku, 1}}, "tok_visa");
  const auto placed = gateway().call("POST", "/v1/orders", merchant_.api_key, body.dump(), headers);
  ASSERT_EQ(placed.status, 201) << placed.body;

  // The gateway's answer names its own span in the caller's trace: what a merchant quotes.
  const auto quoted = placed.headers.get("traceparent");
  ASSERT_TRUE(quoted);
  const auto gateway_span = core::TraceParent::parse(*quoted);
  ASSERT_TRUE(gateway_span) << *quoted;
  EXPECT_EQ(gateway_span->trace_id, trace_id);
  EXPECT_NE(gateway_span->span_id, caller_span);

  const auto order_id = json::parse(placed.body).at("id").get<std::string>();
  EXPECT_EQ(wait_final(order_id).value("status", ""), "confirmed");

  // Every line is flushed as it is written: once the saga ended, its lines are in the files.
  const auto run = fleetctl_logs("--trace " + *quoted + " --dir " + fleet().log_dir() + " --json");
  ASSERT_EQ(run.exit_code, 0) << run.out;
  std::vector<json> lines;
  std::size_t start = 0;
  while (start < run.out.size()) {
    auto end = run.out.find('\n', start);
    if (end == std::string::npos) end = run.out.size();
    if (end > start) lines.push_back(json::parse(run.out.substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_FALSE(lines.empty());

  std::set<std::string> agents;
  std::set<std::string> spans;
  std::string previous_ts;
  std::string order_parent;
  for (const auto& line : lines) {
    EXPECT_EQ(line.value("trace_id", ""), trace_id) << line.dump();
    const auto ts = line.value("ts", "");
    EXPECT_LE(previous_ts, ts) << "out of time order at " << line.dump();
    previous_ts = ts;
    agents.insert(line.value("agent", ""));
    spans.insert(line.value("span_id", ""));
    if (line.value("agent", "") == "api-gateway") {
      EXPECT_EQ(line.value("span_id", ""), gateway_span->span_id) << line.dump();
      EXPECT_EQ(line.value("parent_span_id", ""), caller_span) << line.dump();
    }
    if (line.value("msg", "") == "order placed") order_parent = line.value("parent_span_id", "");
  }
  for (const char* agent : {"api-gateway", "order", "orchestration", "inventory", "payment"}) {
    EXPECT_TRUE(agents.count(agent)) << agent << " wrote no line of the trace:\n" << run.out;
  }
  EXPECT_FALSE(spans.count("")) << "every line carries a span id:\n" << run.out;
  EXPECT_GE(spans.size(), 5u) << "a new span per hop:\n" << run.out;
  EXPECT_EQ(order_parent, gateway_span->span_id)
      << "the order agent's request span is a child of the gateway's:\n"
      << run.out;

  // Human-readable output is the same lines; an unknown trace is an error.
  const auto readable = fleetctl_logs("--trace " + trace_id + " --dir " + fleet().log_dir());
  EXPECT_EQ(readable.exit_code, 0);
  EXPECT_NE(readable.out.find("order placed"), std::string::npos) << readable.out;
  EXPECT_EQ(
      fleetctl_logs("--trace " + core::random_hex(32) + " --dir " + fleet().log_dir()).exit_code,
      1);
  EXPECT_EQ(
      fleetctl_logs("--trace " + trace_id + " --dir " + fleet().log_dir() + "/missing").exit_code,
      2);
}

}  // namespace
}  // namespace commerce::integration
