#include "commerce/stack/stack.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <set>
#include <sstream>

#include "commerce/stack/agent_harness.hpp"

namespace commerce::stack {
namespace {

TEST(Process, StopReturnsExitStatusOfAProcessThatExits) {
  Process p({"/bin/sh", "-c", "exit 3"});
  auto status = p.wait(std::chrono::seconds(10));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 3);
  EXPECT_FALSE(p.alive());
  auto again = p.stop();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(WEXITSTATUS(*again), 3);
}

TEST(Process, StopTerminatesARunningProcess) {
  Process p({"sleep", "60"});
  EXPECT_TRUE(p.alive());
  auto status = p.stop(std::chrono::seconds(5));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFSIGNALED(*status));
  EXPECT_EQ(WTERMSIG(*status), SIGTERM);
}

TEST(Process, StopReturnsTheStatusAProcessChoseOnSigterm) {
  Process p({"/bin/sh", "-c", "trap 'exit 7' TERM; while true; do sleep 0.05; done"});
  // Wait until the trap is installed: the shell is running a sleep child by then.
  ASSERT_TRUE(wait_until(
      [&] {
        std::ifstream children("/proc/" + std::to_string(p.pid()) + "/task/" +
                               std::to_string(p.pid()) + "/children");
        std::string s;
        return static_cast<bool>(children >> s);
      },
      std::chrono::seconds(5)));
  auto status = p.stop(std::chrono::seconds(5));
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 7);
}

TEST(Process, EnvironmentIsOverlaidAndOutputGoesToTheLog) {
  auto dir = std::filesystem::temp_directory_path() / unique_name("proc");
  std::filesystem::create_directories(dir);
  auto log = (dir / "out.log").string();
  {
    Process p({"/bin/sh", "-c", "echo \"$COMMERCE_GREETING $HOME\"; echo err >&2"},
              {{"COMMERCE_GREETING", "hello"}}, log);
    auto status = p.wait(std::chrono::seconds(10));
    ASSERT_TRUE(status.has_value());
  }
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  const char* home = std::getenv("HOME");
  EXPECT_EQ(ss.str(), "hello " + std::string(home ? home : "") + "\nerr\n");
  std::filesystem::remove_all(dir);
}

TEST(Process, MissingExecutableThrows) {
  EXPECT_THROW(Process({"no-such-program-anywhere"}), std::runtime_error);
}

TEST(Utilities, UniqueNameIsLowerCaseAndUnique) {
  auto a = unique_name("Orders");
  auto b = unique_name("Orders");
  EXPECT_NE(a, b);
  EXPECT_EQ(a.rfind("orders_", 0), 0u);
  EXPECT_EQ(a.size(), std::string("orders_").size() + 8);
}

TEST(Utilities, FreePortIsNonZero) { EXPECT_GT(free_port(), 0); }

TEST(Utilities, KraftClusterIdsAreUuidsACommandLineCannotMistakeForAnOption) {
  // One id in 64 started with '-' before; 2000 draws would all but surely have met one.
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const auto id = kraft_cluster_id();
    ASSERT_EQ(id.size(), 22u) << id;
    ASSERT_NE(id.front(), '-') << id;
    ASSERT_EQ(
        id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(AgentSettings, KafkaConsumersBatchUnderLoadAndTheDevelopmentBrokersDoNot) {
  const auto kafka = agent_settings_for(BrokerKind::kafka);
  EXPECT_EQ(kafka.at("KAFKA_CONSUMER_PROPERTIES"), "fetch.wait.max.ms=100");
  EXPECT_EQ(kafka.at("CONSUMER_BATCH_WAIT_MS"), "5");
  EXPECT_EQ(kafka.at("CONSUMER_BATCH_INTERVAL_MS"), "20");
  EXPECT_TRUE(agent_settings_for(BrokerKind::dev).empty());
}

TEST(AgentSettings, FleetPrefixedVariablesReplaceThemForTrials) {
  ::setenv("FLEET_CONSUMER_BATCH_INTERVAL_MS", "0", 1);
  ::setenv("FLEET_CONSUMER_BATCH_WAIT_MS", "2", 1);
  const auto kafka = agent_settings_for(BrokerKind::kafka);
  const auto dev = agent_settings_for(BrokerKind::dev);
  ::unsetenv("FLEET_CONSUMER_BATCH_INTERVAL_MS");
  ::unsetenv("FLEET_CONSUMER_BATCH_WAIT_MS");
  EXPECT_EQ(kafka.at("CONSUMER_BATCH_INTERVAL_MS"), "0");
  EXPECT_EQ(kafka.at("CONSUMER_BATCH_WAIT_MS"), "2");
  EXPECT_EQ(dev.at("CONSUMER_BATCH_INTERVAL_MS"), "0");
}

TEST(Utilities, WaitUntilReturnsFalseAtTheDeadline) {
  EXPECT_FALSE(wait_until([] { return false; }, std::chrono::milliseconds(50)));
  int calls = 0;
  EXPECT_TRUE(wait_until([&] { return ++calls == 3; }, std::chrono::seconds(5),
                         std::chrono::milliseconds(1)));
}

int count_rows(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  return tx.exec1("SELECT count(*) FROM kept").front().as<int>();
}

TEST(EmbeddedPostgres, StopAndRestartKeepData) {
  EmbeddedPostgres pg;
  pg.start();
  ASSERT_TRUE(pg.running());
  {
    pqxx::connection c(pg.admin_url());
    pqxx::work tx(c);
    tx.exec0("CREATE TABLE kept(id int)");
    tx.exec0("INSERT INTO kept VALUES (1), (2)");
    tx.commit();
  }
  const auto port = pg.port();
  pg.stop();
  EXPECT_FALSE(pg.running());
  EXPECT_THROW(pqxx::connection(pg.admin_url() + "?connect_timeout=2"), pqxx::broken_connection);
  pg.restart();
  EXPECT_EQ(pg.port(), port);
  EXPECT_EQ(count_rows(pg.admin_url()), 2);
}

TEST(EmbeddedPostgres, KillThenRestartRecoversCommittedData) {
  EmbeddedPostgres pg;
  pg.start();
  {
    pqxx::connection c(pg.admin_url());
    pqxx::work tx(c);
    tx.exec0("CREATE TABLE kept(id int)");
    tx.exec0("INSERT INTO kept SELECT generate_series(1, 100)");
    tx.commit();
  }
  pg.kill();
  EXPECT_FALSE(pg.running());
  EXPECT_THROW(pqxx::connection(pg.admin_url() + "?connect_timeout=2"), pqxx::broken_connection);
  pg.restart();
  EXPECT_EQ(count_rows(pg.admin_url()), 100);
}

TEST(EmbeddedPostgres, SharedClusterIsRunningAndListensOnLoopback) {
  auto& pg = EmbeddedPostgres::shared();
  EXPECT_TRUE(pg.running());
  pqxx::connection c(pg.admin_url());
  pqxx::work tx(c);
  EXPECT_EQ(tx.exec1("SHOW listen_addresses").front().as<std::string>(), "127.0.0.1");
  EXPECT_EQ(tx.exec1("SHOW fsync").front().as<std::string>(), "off");
  EXPECT_EQ(&pg, &EmbeddedPostgres::shared());
}

std::string server_address(const std::string& url) {
  pqxx::connection c(url);
  pqxx::work tx(c);
  auto v = tx.exec1("SELECT inet_server_addr()::text").front();
  return v.is_null() ? "unix socket" : v.as<std::string>();
}

TEST(EmbeddedPostgres, AdminUrlTakesTheUnixSocketAndTheTcpUrlLoopback) {
  auto& pg = EmbeddedPostgres::shared();
  EXPECT_EQ(server_address(pg.admin_url()), "unix socket");
  EXPECT_EQ(server_address(pg.admin_tcp_url()), "127.0.0.1/32");
}

TEST(EmbeddedPostgres, DataFolderTooDeepForASocketPathGetsAShortSocketFolder) {
  // sun_path holds 108 bytes: a socket in this folder could not be created.
  const std::string root = "/tmp/" + unique_name("deep");
  const std::string data = root + "/" + std::string(60, 'd') + "/" + std::string(40, 'e') + " x";
  {
    EmbeddedPostgres::Options options;
    options.data_dir = data;
    options.durable = false;
    EmbeddedPostgres pg(options);
    pg.start();
    EXPECT_EQ(server_address(pg.admin_url()), "unix socket");
    EXPECT_EQ(pg.admin_url().find("deep"), std::string::npos) << pg.admin_url();
  }
  std::filesystem::remove_all(root);
}

bool accepts_connections(const std::string& host_port) {
  auto colon = host_port.rfind(':');
  if (colon == std::string::npos) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1))));
  if (inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr) != 1) return false;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

TEST(DevBroker, StartsAndReportsAReachableBootstrapAddress) {
  DevBroker broker;
  broker.start();
  const std::string bootstrap = broker.bootstrap();
  ASSERT_FALSE(bootstrap.empty());
  EXPECT_EQ(bootstrap.rfind("127.0.0.1:", 0), 0u) << bootstrap;
  const std::string first = bootstrap.substr(0, bootstrap.find(','));
  EXPECT_TRUE(accepts_connections(first)) << first;
  broker.stop();
  EXPECT_TRUE(wait_until([&] { return !accepts_connections(first); }, std::chrono::seconds(10)));
}

TEST(AgentHarness, CollectorSeesWhatThePublisherSendsAndTimesOutOnWhatNobodySent) {
  auto& broker = DevBroker::shared();
  const std::string topic = "commerce." + unique_name("harness") + ".events";
  EnvelopePublisher publisher(broker.bootstrap());
  const auto sent =
      publisher.publish(topic, "o-1", "order.OrderPlaced", "m-1", {{"order_id", "o-1"}});
  EventCollector events(broker.bootstrap(), {topic});
  const auto got = events.await("order.OrderPlaced", "o-1", std::chrono::seconds(20));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->topic, topic);
  EXPECT_EQ(got->key, "o-1");
  EXPECT_EQ(got->envelope.id, sent.id);
  EXPECT_EQ(events.distinct("order.OrderPlaced", "o-1"), 1u);
  EXPECT_EQ(events.about("order_id", "o-1").size(), 1u);
  EXPECT_FALSE(events.await("order.OrderPlaced", "o-2", std::chrono::milliseconds(300)));
}

}  // namespace
}  // namespace commerce::stack
