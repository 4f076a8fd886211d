#include "commerce/runtime/agent.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

using commerce::config::Config;
using commerce::config::ConfigError;
using commerce::runtime::Agent;
using commerce::runtime::guarded_main;

namespace {

std::string construction_error(const Config& config) {
  try {
    Agent agent("orders", config);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// Endpoints nothing listens on: construction must not need them (connections are lazy).
Config unreachable() {
  return Config::from_map({{"DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"},
                           {"KAFKA_BROKERS", "127.0.0.1:1"},
                           {"SCHEMAS_DIR", COMMERCE_SOURCE_DIR "/schemas"},
                           {"INSTANCE_ID", "test-1"}});
}

}  // namespace

TEST(AgentConfig, MissingDatabaseUrlIsNamed) {
  EXPECT_EQ(construction_error(Config::from_map({{"KAFKA_BROKERS", "127.0.0.1:9092"}})),
            "config: DATABASE_URL is required but not set");
}

TEST(AgentConfig, MissingKafkaBrokersIsNamed) {
  EXPECT_EQ(construction_error(Config::from_map({{"DATABASE_URL", "postgresql://x/y"}})),
            "config: KAFKA_BROKERS is required but not set");
}

TEST(AgentConfig, MalformedSettingsAreNamed) {
  EXPECT_EQ(construction_error(unreachable().with("API_PORT", "abc")),
            "config: API_PORT must be a port number 0-65535, got \"abc\"");
  EXPECT_EQ(construction_error(unreachable().with("ADMIN_PORT", "-1")),
            "config: ADMIN_PORT must be a port number 0-65535, got \"-1\"");
  EXPECT_EQ(construction_error(unreachable().with("LOG_LEVEL", "loud")),
            "config: LOG_LEVEL must be one of debug, info, warn, error, got \"loud\"");
  EXPECT_EQ(construction_error(unreachable().with("DB_POOL_SIZE", "0")),
            "config: DB_POOL_SIZE must be between 1 and 1000, got \"0\"");
  EXPECT_EQ(construction_error(unreachable().with("HTTP_WORKERS", "many")),
            "config: HTTP_WORKERS must be an integer, got \"many\"");
  EXPECT_EQ(construction_error(unreachable().with("CONSUMER_BATCH_WAIT_MS", "1001")),
            "config: CONSUMER_BATCH_WAIT_MS must be between 0 and 1000, got \"1001\"");
  EXPECT_EQ(construction_error(unreachable().with("CONSUMER_BATCH_INTERVAL_MS", "-5")),
            "config: CONSUMER_BATCH_INTERVAL_MS must be between 0 and 1000, got \"-5\"");
  EXPECT_EQ(construction_error(unreachable().with("INBOX_RETENTION_HOURS", "24")),
            "config: INBOX_RETENTION_HOURS must be between 168 (the topics' 7 days) and 87600, "
            "got \"24\"");
}

TEST(GuardedMain, ConfigErrorBecomesOneLineAndExitCode2) {
  testing::internal::CaptureStderr();
  const int code = guarded_main(
      "orders", []() -> int { throw ConfigError("config: DATABASE_URL is required but not set"); });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "orders: config: DATABASE_URL is required but not set\n");
}

TEST(GuardedMain, OtherExceptionsToo_MultiLineMessagesFolded) {
  testing::internal::CaptureStderr();
  const int code = guarded_main("payment", []() -> int {
    throw std::runtime_error("connection refused\n\tIs the server running?\n");
  });
  EXPECT_EQ(code, 2);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "payment: connection refused \tIs the server running?\n");
}

TEST(GuardedMain, ReturnsBodyResult) {
  testing::internal::CaptureStderr();
  EXPECT_EQ(guarded_main("orders", [] { return 0; }), 0);
  EXPECT_EQ(guarded_main("orders", [] { return 7; }), 7);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(Agent, ConstructsWithoutReachingTheNetwork) {
  Agent agent("orders", unreachable());
  EXPECT_EQ(agent.name(), "orders");
  EXPECT_EQ(agent.config().get("INSTANCE_ID", ""), "test-1");
  const auto text = agent.metrics().render();
  EXPECT_NE(text.find("agent_info{agent=\"orders\",instance=\"test-1\"} 1\n"), std::string::npos)
      << text;
}

TEST(Agent, RunFailsCleanlyWhenStartUpFails) {
  // Migrations directory missing / database unreachable: run() throws, guarded_main reports it.
  Agent agent("orders", unreachable().with("MIGRATIONS_DIR", "/nonexistent/migrations/orders"));
  bool worker_ran_and_stopped = true;
  agent.add_worker("never", [&](std::stop_token) { worker_ran_and_stopped = false; });
  testing::internal::CaptureStderr();
  const int code = guarded_main("orders", [&] { return agent.run(); });
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_EQ(code, 2);
  EXPECT_NE(err.find("orders: "), std::string::npos) << err;
  EXPECT_TRUE(worker_ran_and_stopped);  // start-up stopped before workers started
}

// A crash in an agent leaves its stack in the log (stderr) and still ends by the signal, so a
// supervisor sees the crash and an operator sees where.
TEST(GuardedMain, ACrashWritesItsStackToStderrAndEndsByTheSignal) {
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(out[1], STDERR_FILENO);
    ::close(out[0]);
    guarded_main("crashing", [] {
      ::raise(SIGSEGV);
      return 0;
    });
    ::_exit(0);  // not reached
  }
  ::close(out[1]);
  std::string log;
  char buf[4096];
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;)
    log.append(buf, static_cast<size_t>(n));
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
  EXPECT_EQ(WTERMSIG(status), SIGSEGV);
  EXPECT_NE(log.find("fatal signal, stack:"), std::string::npos) << log;
  EXPECT_NE(log.find("runtime_test"), std::string::npos) << "no frame of the test binary:\n" << log;
}
