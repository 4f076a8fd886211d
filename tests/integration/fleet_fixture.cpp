#include "fleet_fixture.hpp"

#include <map>
#include <thread>

#include "commerce/core/ids.hpp"

namespace commerce::integration {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Shared {
  std::unique_ptr<stack::Fleet> fleet;
  std::unique_ptr<http::Client> client;
  std::unique_ptr<scenario::GatewayClient> gateway;
  std::string admin_url;
  std::string brokers;
  std::string setup_error;
  std::map<std::string, std::map<std::string, std::string>> agent_env;
};

Shared& shared() {
  static Shared s;
  return s;
}

}  // namespace

void FleetTest::SetUpTestSuite() {
  auto& s = shared();
  if (s.fleet || !s.setup_error.empty()) return;
  try {
    // One cluster and one broker per test binary (per process), never shared across binaries.
    // The broker FLEET_BROKER names: the development broker unless it says kafka.
    auto& postgres = stack::EmbeddedPostgres::shared();
    s.admin_url = postgres.admin_url();
    s.brokers = stack::shared_broker_bootstrap();
    stack::Fleet::Options options;
    options.admin_url = s.admin_url;
    options.brokers = s.brokers;
    options.fixed_ports = false;
    options.env = stack::agent_settings_for(stack::broker_kind_from_env());
    options.agent_env = s.agent_env;
    // These suites test outcomes, not deadlines: on a loaded CI machine (or under sanitizers) a
    // 10 s step deadline could turn a slow success into a compensation.
    options.agent_env["orchestration"].emplace("SAGA_STEP_TIMEOUT_MS", "30000");
    s.fleet = std::make_unique<stack::Fleet>(options);
    s.fleet->start_all();
    s.client = std::make_unique<http::Client>(http::ClientOptions{std::chrono::seconds(20), 32});
    s.gateway =
        std::make_unique<scenario::GatewayClient>(s.fleet->api_url("api-gateway"), *s.client);
  } catch (const std::exception& e) {
    s.setup_error = e.what();
    s.fleet.reset();
  }
}

void set_agent_setting(const std::string& agent, const std::string& key, const std::string& value) {
  shared().agent_env[agent][key] = value;
}

void FleetTest::TearDownTestSuite() {
  auto& s = shared();
  s.gateway.reset();
  s.client.reset();
  s.fleet.reset();  // SIGTERM to every agent, in reverse order
}

void FleetTest::SetUp() {
  if (!shared().setup_error.empty())
    GTEST_FAIL() << "the fleet did not start: " << shared().setup_error;
  ASSERT_TRUE(shared().fleet) << "the fleet is not running";
  merchant_ = new_merchant(::testing::UnitTest::GetInstance()->current_test_info()->name());
}

stack::Fleet& FleetTest::fleet() { return *shared().fleet; }
scenario::GatewayClient& FleetTest::gateway() { return *shared().gateway; }
const std::string& FleetTest::admin_url() { return shared().admin_url; }
const std::string& FleetTest::brokers() { return shared().brokers; }

scenario::MerchantAccount new_merchant(const std::string& name) {
  auto& s = shared();
  auto account = s.gateway->create_merchant(s.fleet->operator_token(), name);
  if (!s.gateway->wait_until_key_works(account.api_key, 30s))
    throw std::runtime_error("API key of " + name + " not accepted by the gateway within 30 s");
  return account;
}

std::string FleetTest::add_product(const std::string& sku_hint, std::int64_t price_minor,
                                   std::int64_t on_hand) {
  const std::string sku = sku_hint + "-" + core::random_hex(8);
  gateway().create_product(merchant_.api_key, sku, "Product " + sku, price_minor);
  gateway().set_stock(merchant_.api_key, sku, on_hand);
  return sku;
}

json FleetTest::stock(const std::string& sku) { return gateway().stock(merchant_.api_key, sku); }

std::string FleetTest::place(const std::vector<scenario::OrderLineRequest>& lines,
                             const std::string& card) {
  const auto body = scenario::GatewayClient::order_body("buyer@example.com", lines, card);
  return gateway().place_order_reliably(merchant_.api_key, body, core::uuid_v7());
}

json FleetTest::wait_final(const std::string& order_id, std::chrono::milliseconds timeout) {
  json last;
  const bool done = stack::wait_until(
      [&] {
        auto r = gateway().order(merchant_.api_key, order_id);
        if (r.status != 200) return false;
        last = json::parse(r.body);
        return last.value("status", "") != "pending";
      },
      timeout, 50ms);
  EXPECT_TRUE(done) << "order " << order_id << " still not final: " << last.dump();
  return last;
}

std::int64_t FleetTest::rows(const std::string& table, const std::string& order_id) {
  return scenario::rows_for_order(admin_url(), table, order_id);
}

std::int64_t FleetTest::notifications(const std::string& order_id, const std::string& kind) {
  auto n = scenario::scalar(admin_url(),
                            "SELECT count(*) FROM notification.notifications WHERE order_id::text "
                            "= $1 AND kind = '" +
                                kind + "'",
                            order_id);
  return n ? std::stoll(*n) : 0;
}

std::int64_t FleetTest::wait_for_count(const std::function<std::int64_t()>& count,
                                       std::int64_t expected, std::chrono::milliseconds timeout) {
  std::int64_t last = -1;
  stack::wait_until(
      [&] {
        last = count();
        return last == expected;
      },
      timeout, 50ms);
  return last;
}

}  // namespace commerce::integration
