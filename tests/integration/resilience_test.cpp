// Crashes and stops: orchestration SIGKILLed with orders in flight resumes every saga without
// doing anything twice, and every agent stops cleanly on SIGTERM.
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include "commerce/core/ids.hpp"
#include "fleet_fixture.hpp"

namespace commerce::integration {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// A restarted orchestration waits for the broker to expire the killed member's session before it
// gets its partitions back (~10 s). Step deadlines longer than that make this test prove that
// sagas resume where they stopped, instead of timing out and compensating.
const bool kLongStepDeadlines = [] {
  set_agent_setting("orchestration", "SAGA_STEP_TIMEOUT_MS", "60000");
  return true;
}();

std::int64_t terminal_sagas(const std::string& admin_url, const std::string& merchant_id) {
  auto n = scenario::scalar(admin_url,
                            R"(SELECT count(*) FROM orchestration.sagas s JOIN "order".orders o
         ON s.order_id::text = o.id::text
         WHERE o.merchant_id::text = $1 AND s.state IN ('completed', 'compensated'))",
                            merchant_id);
  return n ? std::stoll(*n) : 0;
}

class Resilience : public FleetTest {
 protected:
  struct Load {
    std::atomic<int> next{0}, placed{0}, failures{0};
    std::vector<std::thread> clients;
  };

  void start_load(Load& load, const std::string& sku, int orders) {
    for (int t = 0; t < 8; ++t) {
      load.clients.emplace_back([&, sku, orders] {
        for (int i = load.next++; i < orders; i = load.next++) {
          try {
            place({{sku, 1 + i % 3}}, i % 10 == 9 ? "tok_chargeDeclined" : "tok_visa");
            ++load.placed;
          } catch (const std::exception& e) {
            std::cerr << "order " << i << " not placed: " << e.what() << std::endl;
            ++load.failures;
          }
        }
      });
    }
  }

  // Waits until sagas are mid-flight (started, not finished).
  void wait_mid_flight() {
    ASSERT_TRUE(stack::wait_until(
        [&] { return scenario::count_outcomes(admin_url(), merchant_.id).sagas_open >= 5; }, 60s,
        5ms))
        << "no saga started within 60 s";
  }

  // Every saga ended; 90 % confirmed, the declined tenth cancelled; one reservation,
  // authorization and notification per order; stock held exactly by the confirmed orders.
  void expect_settled_once(const std::string& sku, int orders, std::chrono::milliseconds settle) {
    ASSERT_TRUE(stack::wait_until(
        [&] { return scenario::all_sagas_ended(admin_url(), merchant_.id); }, settle, 100ms))
        << "sagas still open " << settle.count() << " ms after recovery";
    const auto outcome = scenario::count_outcomes(admin_url(), merchant_.id);
    EXPECT_EQ(outcome.placed, orders);
    std::string reasons;
    for (const auto& [reason, n] : outcome.cancel_reasons)
      reasons += reason + "=" + std::to_string(n) + " ";
    EXPECT_EQ(outcome.confirmed, orders * 9 / 10) << "cancel reasons: " << reasons;
    EXPECT_EQ(outcome.cancelled, orders / 10);
    EXPECT_EQ(outcome.stuck(), 0);
    EXPECT_EQ(outcome.duplicate_reservations, 0);
    EXPECT_EQ(outcome.duplicate_authorizations, 0);
    EXPECT_EQ(outcome.duplicate_notifications, 0);
    auto held = scenario::scalar(admin_url(),
                                 R"(SELECT coalesce(sum(l.quantity), 0) FROM "order".order_lines l
                                    JOIN "order".orders o ON o.id = l.order_id
                                    WHERE o.merchant_id::text = $1 AND o.status = 'confirmed')",
                                 merchant_.id);
    ASSERT_TRUE(held.has_value());
    json level;
    EXPECT_TRUE(stack::wait_until(
        [&] {
          level = stock(sku);
          return level.at("reserved").get<std::int64_t>() == std::stoll(*held);
        },
        30s))
        << level.dump() << " held by confirmed orders: " << *held;
    // One notification per order, of the kind matching its outcome.
    EXPECT_EQ(wait_for_count(
                  [&] {
                    auto n = scenario::scalar(admin_url(),
                                              R"(SELECT count(*) FROM notification.notifications n
                                                 JOIN "order".orders o ON o.id::text = n.order_id::text
                                                 WHERE o.merchant_id::text = $1)",
                                              merchant_.id);
                    return n ? std::stoll(*n) : 0;
                  },
                  orders),
              orders);
  }
};

TEST_F(Resilience, OrchestrationKilledMidFlightFinishesEverySagaOnce) {
  const auto sku = add_product("WIDGET", 700, 100000);
  constexpr int kOrders = 100;
  Load load;
  start_load(load, sku, kOrders);
  // Kill once sagas are mid-flight, while orders are still arriving.
  wait_mid_flight();
  fleet().kill("orchestration");
  // Nothing writes saga state now: this is what the restarted orchestration must resume.
  const auto finished_at_kill = terminal_sagas(admin_url(), merchant_.id);
  const auto open_at_kill = scenario::count_outcomes(admin_url(), merchant_.id).sagas_open;
  std::cout << "at the kill: " << load.placed << " orders placed, " << finished_at_kill
            << " sagas finished, " << open_at_kill << " sagas mid-flight" << std::endl;
  EXPECT_GT(open_at_kill, 0) << "the kill did not interrupt any saga";
  for (auto& c : load.clients) c.join();
  EXPECT_EQ(load.failures, 0);

  fleet().start("orchestration");
  expect_settled_once(sku, kOrders, 120s);
}

// Only a real broker keeps what it acknowledged across a crash (the development broker is an
// in-memory mock), so this runs in the suite's Kafka variant (FLEET_BROKER=kafka).
TEST_F(Resilience, BrokerKilledMidFlightLosesNothingAndDoesNothingTwice) {
  if (stack::broker_kind_from_env() != stack::BrokerKind::kafka) {
    GTEST_SKIP() << "needs the real Kafka broker (FLEET_BROKER=kafka)";
  }
  const auto sku = add_product("KETTLE", 900, 100000);
  constexpr int kOrders = 100;
  Load load;
  start_load(load, sku, kOrders);
  wait_mid_flight();
  auto& broker = stack::KafkaBroker::shared();
  broker.kill();
  const auto open_at_kill = scenario::count_outcomes(admin_url(), merchant_.id).sagas_open;
  std::cout << "broker killed with " << load.placed << " orders placed, " << open_at_kill
            << " sagas mid-flight" << std::endl;
  EXPECT_GT(open_at_kill, 0) << "the kill did not interrupt any saga";
  // Orders keep being accepted while the broker is down: they wait in the order agent's outbox.
  for (auto& c : load.clients) c.join();
  EXPECT_EQ(load.failures, 0);
  broker.start();  // same ports, same data
  expect_settled_once(sku, kOrders, 180s);
}

TEST_F(Resilience, PostgresRestartedMidFlightFinishesEverySagaOnce) {
  const auto sku = add_product("TEAPOT", 1100, 100000);
  constexpr int kOrders = 100;
  Load load;
  start_load(load, sku, kOrders);
  wait_mid_flight();
  // A fast shutdown (every connection of every agent breaks), then the same cluster again.
  auto& postgres = stack::EmbeddedPostgres::shared();
  postgres.stop();
  std::cout << "PostgreSQL stopped with " << load.placed << " orders placed" << std::endl;
  postgres.start();
  // Orders sent while it was down got 503s and were retried with the same Idempotency-Key.
  for (auto& c : load.clients) c.join();
  EXPECT_EQ(load.failures, 0);
  expect_settled_once(sku, kOrders, 120s);
}

// A second inventory and a second orchestration join in the middle of a load, then the first
// orchestration leaves: the partitions move between members, and nothing is stuck or done twice.
TEST_F(Resilience, InstancesJoinAndLeaveMidFlightFinishEverySagaOnce) {
  const auto sku = add_product("KNIFE", 1300, 100000);
  constexpr int kOrders = 300;
  std::string first_orchestration;
  for (const auto& instance : fleet().instances())
    if (instance.rfind("orchestration-", 0) == 0) first_orchestration = instance;
  ASSERT_FALSE(first_orchestration.empty());

  Load load;
  start_load(load, sku, kOrders);
  wait_mid_flight();
  const auto second_inventory = fleet().start("inventory");
  const auto second_orchestration = fleet().start("orchestration");
  std::cout << "joined: " << second_inventory << ", " << second_orchestration << " with "
            << load.placed << " orders placed" << std::endl;
  // Sagas still open when the first orchestration leaves can only be finished by the second:
  // its partitions moved.
  const auto open_at_leave = scenario::count_outcomes(admin_url(), merchant_.id).sagas_open;
  EXPECT_GT(open_at_leave, 0) << "every saga ended before the first orchestration left";
  const auto left = fleet().stop(first_orchestration);
  ASSERT_TRUE(left.has_value());
  EXPECT_TRUE(WIFEXITED(*left) && WEXITSTATUS(*left) == 0)
      << "exit status " << *left << "; the end of its log:\n"
      << stack::tail_of(fleet().log_dir() + "/" + first_orchestration + ".log", 6000);
  for (auto& c : load.clients) c.join();
  EXPECT_EQ(load.failures, 0);
  expect_settled_once(sku, kOrders, 120s);

  // Back to one inventory: the second leaves cleanly too.
  const auto second_left = fleet().stop(second_inventory);
  ASSERT_TRUE(second_left.has_value());
  EXPECT_TRUE(WIFEXITED(*second_left) && WEXITSTATUS(*second_left) == 0)
      << "exit status " << *second_left << "; the end of its log:\n"
      << stack::tail_of(fleet().log_dir() + "/" + second_inventory + ".log", 6000);
}

// Last in this binary: it stops the fleet.
TEST_F(Resilience, EveryAgentExitsZeroOnSigterm) {
  // Some work first, so the agents have batches, outbox rows and connections to wind down.
  const auto sku = add_product("LAMP", 3000, 10);
  const auto order_id = place({{sku, 1}});
  EXPECT_EQ(wait_final(order_id).value("status", ""), "confirmed");

  auto instances = fleet().instances();
  ASSERT_EQ(instances.size(), stack::fleet_agents().size());
  std::reverse(instances.begin(), instances.end());
  for (const auto& instance : instances) {
    const auto status = fleet().stop(instance);
    ASSERT_TRUE(status.has_value()) << instance << " did not exit";
    EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
        << instance << " exit status " << *status << " (see its log in " << fleet().log_dir()
        << ")";
  }
  EXPECT_TRUE(fleet().instances().empty());
}

}  // namespace
}  // namespace commerce::integration
