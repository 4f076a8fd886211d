// The orchestration agent as a real executable against a real PostgreSQL and the development
// broker. The test plays inventory, payment and order: it produces their events onto the
// topics and asserts the commands the saga emits: happy path, out of stock, declined payment,
// timeouts, late replies, and a SIGKILLed orchestration that resumes exactly.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <pqxx/pqxx>
#include <sstream>

#include "commerce/bus/kafka.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/agent_harness.hpp"
#include "commerce/stack/stack.hpp"

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Shared {
  std::string admin_url;
  std::string brokers;
  std::unique_ptr<commerce::stack::EventCollector> commands;
  std::unique_ptr<commerce::stack::EnvelopePublisher> publisher;

  Shared() {
    auto& pg = commerce::stack::EmbeddedPostgres::shared();
    auto& broker = commerce::stack::DevBroker::shared();
    admin_url = pg.admin_url();
    brokers = broker.bootstrap();
    commands = std::make_unique<commerce::stack::EventCollector>(
        brokers, std::vector<std::string>{"commerce.inventory.commands",
                                          "commerce.payment.commands", "commerce.order.commands"});
    publisher = std::make_unique<commerce::stack::EnvelopePublisher>(brokers);
  }
};

Shared& shared() {
  static Shared s;
  return s;
}

using Env = std::map<std::string, std::string>;

// One orchestration agent per test, with the test's timeouts.
class Orchestration {
 public:
  explicit Orchestration(std::map<std::string, std::string> env) {
    commerce::stack::Fleet::Options options;
    options.admin_url = shared().admin_url;
    options.brokers = shared().brokers;
    options.agent_env["orchestration"] = std::move(env);
    fleet_ = std::make_unique<commerce::stack::Fleet>(options);
    start();
  }
  void start() { instance_ = fleet_->start("orchestration"); }
  void kill() { fleet_->kill(instance_); }

  commerce::http::Response get(const std::string& path) {
    commerce::http::Headers h;
    h.set("Authorization", "Bearer " + fleet_->operator_token());
    return client_.get(fleet_->api_url("orchestration") + path, h);
  }
  commerce::http::Response post(const std::string& path) {
    commerce::http::Headers h;
    h.set("Authorization", "Bearer " + fleet_->operator_token());
    return client_.post(fleet_->api_url("orchestration") + path, "", h);
  }
  std::string api_url() { return fleet_->api_url("orchestration"); }
  const std::string& operator_token() { return fleet_->operator_token(); }
  std::string metrics() {
    return client_.get(fleet_->admin_url("orchestration") + "/metrics").body;
  }

  // The saga of an order, as the operator API shows it (null when none yet).
  json saga_of(const std::string& order_id) {
    auto r = get("/sagas?order_id=" + order_id);
    if (r.status != 200) return nullptr;
    auto list = json::parse(r.body)["sagas"];
    if (list.empty()) return nullptr;
    return json::parse(get("/sagas/" + list[0]["id"].get<std::string>()).body);
  }
  bool await_state(const std::string& order_id, const std::string& state,
                   std::chrono::milliseconds timeout = 40s) {
    return commerce::stack::wait_until(
        [&] {
          auto saga = saga_of(order_id);
          return !saga.is_null() && saga["state"] == state;
        },
        timeout, 50ms);
  }

 private:
  std::unique_ptr<commerce::stack::Fleet> fleet_;
  std::string instance_;
  commerce::http::Client client_;
};

// Plays the other agents of the PlaceOrder saga for one order.
struct Order {
  std::string id = commerce::core::uuid_v7();
  std::string merchant = commerce::stack::unique_name("m");
  commerce::bus::Envelope placed;

  commerce::bus::Envelope event(const std::string& topic, const std::string& type, json payload) {
    payload["order_id"] = id;
    // Replies continue the order's flow, as the real agents' do (correlation carried over).
    auto envelope = commerce::bus::make_envelope(type, merchant, std::move(payload),
                                                 placed.id.empty() ? nullptr : &placed);
    shared().publisher->publish(topic, id, envelope);
    return envelope;
  }
  void place() {
    placed = event("commerce.order.events", "order.OrderPlaced",
                   {{"customer_email", "ann@example.com"},
                    {"lines",
                     {{{"sku", "MUG"},
                       {"quantity", 2},
                       {"unit_price", {{"amount_minor", 1250}, {"currency", "EUR"}}},
                       {"line_total", {{"amount_minor", 2500}, {"currency", "EUR"}}}}}},
                    {"total", {{"amount_minor", 2500}, {"currency", "EUR"}}},
                    {"card_token", "tok_visa"}});
  }
  void stock_reserved() {
    event("commerce.inventory.events", "inventory.StockReserved",
          {{"lines", {{{"sku", "MUG"}, {"quantity", 2}, {"location", "main"}}}}});
  }
  void stock_reservation_failed() {
    event("commerce.inventory.events", "inventory.StockReservationFailed",
          {{"reason", "out_of_stock"},
           {"shortages", {{{"sku", "MUG"}, {"requested", 2}, {"available", 0}}}}});
  }
  void stock_released() {
    event("commerce.inventory.events", "inventory.StockReleased", json::object());
  }
  void payment_authorized() {
    event("commerce.payment.events", "payment.PaymentAuthorized",
          {{"authorization_id", commerce::core::uuid_v7()},
           {"amount", {{"amount_minor", 2500}, {"currency", "EUR"}}}});
  }
  void payment_declined() {
    event("commerce.payment.events", "payment.PaymentDeclined",
          {{"reason", "card_declined"}, {"provider_code", "05"}});
  }
  void payment_voided() {
    event("commerce.payment.events", "payment.PaymentVoided", {{"authorization_id", nullptr}});
  }
  void order_confirmed() {
    event("commerce.order.events", "order.OrderConfirmed",
          {{"customer_email", "ann@example.com"},
           {"total", {{"amount_minor", 2500}, {"currency", "EUR"}}}});
  }
  void order_cancelled(const std::string& reason) {
    event("commerce.order.events", "order.OrderCancelled",
          {{"customer_email", "ann@example.com"}, {"reason", reason}});
  }
  // The first command of `type` the saga sent for this order.
  json await(const std::string& type, std::chrono::milliseconds timeout = 40s) {
    auto received = shared().commands->await(type, id, timeout);
    if (!received) {
      ADD_FAILURE() << "no " << type << " for " << id;
      return nullptr;
    }
    EXPECT_EQ(received->key, id) << type;
    EXPECT_EQ(received->envelope.merchant_id, merchant) << type;
    EXPECT_EQ(received->envelope.correlation_id, placed.correlation_id) << type;
    return received->envelope.payload;
  }
  std::size_t sent(const std::string& type) { return shared().commands->distinct(type, id); }
};

std::vector<std::string> to_states(const json& saga) {
  std::vector<std::string> out;
  for (const auto& step : saga["steps"]) {
    if (step["from_state"] != step["to_state"]) out.push_back(step["to_state"]);
  }
  return out;
}

TEST(OrchestrationAgent, HappyPathCompletesAndLateRepliesAreRecordedAndIgnored) {
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "30000"}});
  Order o;
  o.place();
  auto reserve = o.await("inventory.ReserveStock");
  EXPECT_EQ(reserve, json({{"order_id", o.id}, {"lines", {{{"sku", "MUG"}, {"quantity", 2}}}}}));
  o.stock_reserved();
  auto authorize = o.await("payment.AuthorizePayment");
  EXPECT_EQ(authorize["amount"], json({{"amount_minor", 2500}, {"currency", "EUR"}}));
  EXPECT_EQ(authorize["card_token"], "tok_visa");
  o.payment_authorized();
  // ConfirmOrder carries what inventory and payment answered, for the order's timeline.
  auto confirm = o.await("order.ConfirmOrder");
  EXPECT_EQ(confirm["order_id"], o.id);
  ASSERT_EQ(confirm["history"].size(), 2u) << confirm.dump();
  EXPECT_EQ(confirm["history"][0]["event"], "stock_reserved");
  EXPECT_EQ(confirm["history"][0]["detail"]["lines"][0]["sku"], "MUG");
  EXPECT_FALSE(confirm["history"][0]["at"].get<std::string>().empty());
  EXPECT_EQ(confirm["history"][1]["event"], "payment_authorized");
  EXPECT_EQ(confirm["history"][1]["detail"]["amount"]["amount_minor"], 2500);
  o.order_confirmed();
  ASSERT_TRUE(agent.await_state(o.id, "completed"));

  // A duplicate reply after the end: recorded in the history, nothing sent.
  o.stock_reserved();
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        auto saga = agent.saga_of(o.id);
        return saga["steps"].size() == 5 &&
               saga["steps"][4]["note"].get<std::string>().find("ignored") != std::string::npos;
      },
      20s));
  auto saga = agent.saga_of(o.id);
  EXPECT_EQ(to_states(saga),
            (std::vector<std::string>{"reserving", "authorizing", "confirming", "completed"}));
  EXPECT_FALSE(saga["data"].contains("card_token"));
  EXPECT_FALSE(saga["finished_at"].is_null());
  EXPECT_EQ(o.sent("inventory.ReserveStock"), 1u);
  EXPECT_EQ(o.sent("payment.AuthorizePayment"), 1u);
  EXPECT_EQ(o.sent("order.ConfirmOrder"), 1u);
  EXPECT_EQ(o.sent("order.CancelOrder"), 0u);

  auto metrics = agent.metrics();
  EXPECT_NE(metrics.find("sagas_finished_total{type=\"place_order\",outcome=\"completed\"}"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sagas_in_state{type=\"place_order\",state=\"completed\"}"),
            std::string::npos);
  // This agent's first scrape counts the finished sagas too (later ones every few minutes).
  EXPECT_EQ(metrics.find("sagas_in_state{type=\"place_order\",state=\"completed\"} 0\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("saga_duration_seconds_count{type=\"place_order\"}"), std::string::npos);
}

TEST(OrchestrationAgent, OutOfStockCancelsWithoutAskingForPayment) {
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "30000"}});
  Order o;
  o.place();
  o.await("inventory.ReserveStock");
  o.stock_reservation_failed();
  auto cancel = o.await("order.CancelOrder");
  EXPECT_EQ(cancel["reason"], "out_of_stock");
  ASSERT_EQ(cancel["history"].size(), 1u) << cancel.dump();
  EXPECT_EQ(cancel["history"][0]["event"], "stock_reservation_failed");
  EXPECT_EQ(cancel["history"][0]["detail"]["shortages"][0]["available"], 0);
  o.order_cancelled("out_of_stock");
  ASSERT_TRUE(agent.await_state(o.id, "compensated"));
  EXPECT_EQ(o.sent("payment.AuthorizePayment"), 0u);
  EXPECT_EQ(o.sent("inventory.ReleaseStock"), 0u);
  EXPECT_NE(agent.metrics().find(
                "saga_compensations_total{type=\"place_order\",reason=\"out_of_stock\"}"),
            std::string::npos);
}

TEST(OrchestrationAgent, DeclinedPaymentReleasesStockThenCancels) {
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "30000"}});
  Order o;
  o.place();
  o.await("inventory.ReserveStock");
  o.stock_reserved();
  o.await("payment.AuthorizePayment");
  o.payment_declined();
  EXPECT_EQ(o.await("inventory.ReleaseStock"),
            json({{"order_id", o.id}, {"reason", "payment_declined:card_declined"}}));
  ASSERT_TRUE(agent.await_state(o.id, "releasing"));
  EXPECT_EQ(o.sent("order.CancelOrder"), 0u) << "cancel only after the stock is released";
  o.stock_released();
  EXPECT_EQ(o.await("order.CancelOrder")["reason"], "payment_declined:card_declined");
  o.order_cancelled("payment_declined:card_declined");
  ASSERT_TRUE(agent.await_state(o.id, "compensated"));
  EXPECT_EQ(o.sent("payment.VoidPayment"), 0u) << "a declined payment holds nothing to void";
  EXPECT_EQ(o.sent("order.ConfirmOrder"), 0u);
}

TEST(OrchestrationAgent, TimeoutsCompensateOrRetry) {
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "1000"}, {"SAGA_MAX_RETRY_DELAY_MS", "2000"}});
  Order reserving, authorizing, confirming;
  reserving.place();
  authorizing.place();
  confirming.place();
  authorizing.await("inventory.ReserveStock");
  authorizing.stock_reserved();
  confirming.await("inventory.ReserveStock");
  confirming.stock_reserved();
  confirming.await("payment.AuthorizePayment");
  confirming.payment_authorized();

  // Reserve timed out: release (a tombstone against a late reservation), then cancel.
  EXPECT_EQ(reserving.await("inventory.ReleaseStock")["reason"], "timeout:reserve_stock");
  reserving.stock_reserved();  // late: ignored
  reserving.stock_released();
  EXPECT_EQ(reserving.await("order.CancelOrder")["reason"], "timeout:reserve_stock");
  reserving.order_cancelled("timeout:reserve_stock");

  // Authorize timed out: void, release, cancel.
  EXPECT_EQ(authorizing.await("payment.VoidPayment")["reason"], "timeout:authorize_payment");
  authorizing.payment_voided();
  authorizing.await("inventory.ReleaseStock");
  authorizing.stock_released();
  authorizing.await("order.CancelOrder");
  authorizing.order_cancelled("timeout:authorize_payment");

  // Confirm timed out: sent again (ConfirmOrder is idempotent), then confirmed.
  ASSERT_TRUE(
      commerce::stack::wait_until([&] { return confirming.sent("order.ConfirmOrder") >= 2; }, 20s));
  confirming.order_confirmed();

  ASSERT_TRUE(agent.await_state(reserving.id, "compensated"));
  ASSERT_TRUE(agent.await_state(authorizing.id, "compensated"));
  ASSERT_TRUE(agent.await_state(confirming.id, "completed"));
  EXPECT_EQ(reserving.sent("payment.AuthorizePayment"), 0u);
  EXPECT_EQ(authorizing.sent("order.ConfirmOrder"), 0u);
  EXPECT_EQ(confirming.sent("order.CancelOrder"), 0u);
  EXPECT_EQ(to_states(agent.saga_of(authorizing.id)),
            (std::vector<std::string>{"reserving", "authorizing", "voiding", "releasing",
                                      "cancelling", "compensated"}));
  EXPECT_NE(
      agent.metrics().find("saga_compensations_total{type=\"place_order\",reason=\"timeout\"}"),
      std::string::npos);
}

TEST(OrchestrationAgent, StuckSagasAreListed) {
  // The timeout worker scans rarely here, so a saga past its deadline stays visible as stuck.
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "200"}, {"SAGA_TIMEOUT_SCAN_MS", "600000"}});
  Order o;
  o.place();
  o.await("inventory.ReserveStock");
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        auto r = agent.get("/sagas?stuck=true&state=reserving");
        if (r.status != 200) return false;
        const auto body = json::parse(r.body);
        for (const auto& s : body["sagas"]) {
          if (s["order_id"] == o.id) return s["stuck"] == true;
        }
        return false;
      },
      20s))
      << agent.get("/sagas?stuck=true&state=reserving").body << "\n"
      << agent.get("/sagas?order_id=" + o.id).body;
  // The metrics the SagaStuckPastTimeout alert watches see it too (counted at each scrape).
  const auto text = agent.metrics();
  EXPECT_NE(text.find("sagas_past_deadline{type=\"place_order\"} "), std::string::npos) << text;
  EXPECT_EQ(text.find("sagas_past_deadline{type=\"place_order\"} 0\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("saga_oldest_past_deadline_seconds{type=\"place_order\"} 0\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(agent.get("/sagas?state=nope").status, 422);
  EXPECT_EQ(agent.get("/sagas/0190d9b2-6a4e-7cc1-9f00-000000000001").status, 404);
  commerce::http::Client anonymous;
  EXPECT_EQ(anonymous.get(agent.api_url() + "/sagas").status, 401) << "operators only";
  // Finish it so later tests' timeout workers have nothing of ours to do.
  o.stock_reservation_failed();
  o.await("order.CancelOrder");
  o.order_cancelled("out_of_stock");
  ASSERT_TRUE(agent.await_state(o.id, "compensated"));
}

TEST(OrchestrationAgent, KilledMidwayResumesWithoutDuplicateDecisions) {
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "60000"}});
  std::vector<Order> orders(20);
  for (auto& o : orders) o.place();
  for (auto& o : orders) o.await("inventory.ReserveStock");

  // Replies land and the agent dies while handling them; more arrive while it is down.
  for (std::size_t i = 0; i < orders.size() / 2; ++i) orders[i].stock_reserved();
  agent.kill();
  for (std::size_t i = orders.size() / 2; i < orders.size(); ++i) orders[i].stock_reserved();
  agent.start();
  for (auto& o : orders) o.await("payment.AuthorizePayment", 60s);

  for (auto& o : orders) o.payment_authorized();
  agent.kill();
  agent.start();
  for (auto& o : orders) o.await("order.ConfirmOrder", 60s);
  for (auto& o : orders) o.order_confirmed();
  for (auto& o : orders) ASSERT_TRUE(agent.await_state(o.id, "completed", 60s)) << o.id;

  // Redelivered messages may repeat (same message id); a decision is never taken twice.
  for (auto& o : orders) {
    EXPECT_EQ(o.sent("inventory.ReserveStock"), 1u) << o.id;
    EXPECT_EQ(o.sent("payment.AuthorizePayment"), 1u) << o.id;
    EXPECT_EQ(o.sent("order.ConfirmOrder"), 1u) << o.id;
    EXPECT_EQ(to_states(agent.saga_of(o.id)),
              (std::vector<std::string>{"reserving", "authorizing", "confirming", "completed"}));
  }
}

// `fleetctl <args>` against this test's agent and broker: its exit code and output.
struct CliRun {
  int exit_code = -1;
  std::string output;
  // The last line that is a JSON object (the summary of dlq redrive).
  json summary() const {
    std::istringstream in(output);
    json last;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line[0] == '{') last = json::parse(line);
    }
    return last;
  }
};

CliRun fleetctl(Orchestration& agent, std::vector<std::string> args) {
  static int runs = 0;
  const auto log = ::testing::TempDir() + "/fleetctl-" + std::to_string(::getpid()) + "-" +
                   std::to_string(++runs) + ".log";
  args.insert(args.begin(), commerce::stack::bin_dir() + "/fleetctl");
  commerce::stack::Process process(args,
                                   {{"ORCHESTRATION_URL", agent.api_url()},
                                    {"OPERATOR_TOKEN", agent.operator_token()},
                                    {"KAFKA_BROKERS", shared().brokers}},
                                   log);
  CliRun run;
  if (auto status = process.wait(60s); status && WIFEXITED(*status))
    run.exit_code = WEXITSTATUS(*status);
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  run.output = text.str();
  return run;
}

bool has_note(const json& saga, const std::string& prefix) {
  for (const auto& step : saga["steps"]) {
    if (step["note"].get<std::string>().rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(OrchestrationAgent, OperatorRetryResendsTheStepAndCompensateUndoesIt) {
  // Long timeouts: only the operator moves these sagas.
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "600000"}});
  Order o;
  o.place();
  const auto first = o.await("inventory.ReserveStock");
  ASSERT_TRUE(agent.await_state(o.id, "reserving"));
  const auto saga_id = agent.saga_of(o.id)["id"].get<std::string>();

  // Stuck in reserving (the reply never came): retry sends the same command again.
  auto retried = fleetctl(agent, {"saga", "retry", saga_id});
  ASSERT_EQ(retried.exit_code, 0) << retried.output;
  EXPECT_NE(retried.output.find("reserving"), std::string::npos) << retried.output;
  ASSERT_TRUE(
      commerce::stack::wait_until([&] { return o.sent("inventory.ReserveStock") == 2; }, 20s));
  for (const auto& sent : shared().commands->of("inventory.ReserveStock", o.id)) {
    EXPECT_EQ(sent.envelope.payload, first) << "the same command, for inventory to deduplicate";
    EXPECT_EQ(sent.envelope.correlation_id, o.placed.correlation_id);
  }
  auto saga = agent.saga_of(o.id);
  EXPECT_EQ(saga["state"], "reserving");
  EXPECT_EQ(saga["data"]["attempts"], 2);
  EXPECT_TRUE(has_note(saga, "operator retry")) << saga.dump();

  // Reserved, then stuck authorizing: compensate voids, releases and cancels, each once.
  o.stock_reserved();
  o.await("payment.AuthorizePayment");
  ASSERT_TRUE(agent.await_state(o.id, "authorizing"));
  auto compensated = fleetctl(agent, {"saga", "compensate", saga_id});
  ASSERT_EQ(compensated.exit_code, 0) << compensated.output;
  EXPECT_EQ(o.await("payment.VoidPayment")["reason"], "operator_compensated");
  ASSERT_TRUE(agent.await_state(o.id, "voiding"));
  // Already compensating: a second compensate is refused, nothing is sent.
  auto again = agent.post("/sagas/" + saga_id + "/compensate");
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(json::parse(again.body)["error"]["code"], "already_compensating");
  o.payment_authorized();  // late: the authorization is voided, not used
  o.payment_voided();
  EXPECT_EQ(o.await("inventory.ReleaseStock")["reason"], "operator_compensated");
  o.stock_released();
  EXPECT_EQ(o.await("order.CancelOrder")["reason"], "operator_compensated");
  o.order_cancelled("operator_compensated");
  ASSERT_TRUE(agent.await_state(o.id, "compensated"));
  saga = agent.saga_of(o.id);
  EXPECT_EQ(to_states(saga), (std::vector<std::string>{"reserving", "authorizing", "voiding",
                                                       "releasing", "cancelling", "compensated"}));
  EXPECT_TRUE(has_note(saga, "operator compensate")) << saga.dump();
  EXPECT_EQ(o.sent("payment.AuthorizePayment"), 1u);
  EXPECT_EQ(o.sent("payment.VoidPayment"), 1u);
  EXPECT_EQ(o.sent("inventory.ReleaseStock"), 1u);
  EXPECT_EQ(o.sent("order.CancelOrder"), 1u);
  EXPECT_EQ(o.sent("order.ConfirmOrder"), 0u);
  EXPECT_NE(agent.metrics().find("saga_compensations_total{type=\"place_order\",reason=\"operator_"
                                 "compensated\"}"),
            std::string::npos);

  // Ended: both are refused with the API's error shape, and the CLI fails.
  for (const char* action : {"retry", "compensate"}) {
    auto r = agent.post("/sagas/" + saga_id + "/" + action);
    EXPECT_EQ(r.status, 409) << action;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "saga_finished") << r.body;
    EXPECT_FALSE(json::parse(r.body)["error"]["message"].get<std::string>().empty());
  }
  auto refused = fleetctl(agent, {"saga", "retry", saga_id});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("saga_finished"), std::string::npos) << refused.output;
  EXPECT_EQ(o.sent("inventory.ReserveStock"), 2u);

  commerce::http::Client anonymous;
  EXPECT_EQ(anonymous.post(agent.api_url() + "/sagas/" + saga_id + "/retry", "").status, 401);
  EXPECT_EQ(agent.post("/sagas/0190d9b2-6a4e-7cc1-9f00-000000000001/retry").status, 404);
}

TEST(OrchestrationAgent, OperatorCompensateIsRefusedWhileConfirmationIsPending) {
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "600000"}});
  Order o;
  o.place();
  o.await("inventory.ReserveStock");
  o.stock_reserved();
  o.await("payment.AuthorizePayment");
  o.payment_authorized();
  o.await("order.ConfirmOrder");
  ASSERT_TRUE(agent.await_state(o.id, "confirming"));
  const auto saga_id = agent.saga_of(o.id)["id"].get<std::string>();
  auto r = agent.post("/sagas/" + saga_id + "/compensate");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "confirm_pending");
  // The listing the CLI shows has it (not stuck: its deadline is far).
  auto listed = fleetctl(agent, {"saga", "list", "--state", "confirming"});
  EXPECT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find(saga_id), std::string::npos) << listed.output;
  o.order_confirmed();
  ASSERT_TRUE(agent.await_state(o.id, "completed"));
  EXPECT_EQ(o.sent("payment.VoidPayment"), 0u);
  EXPECT_EQ(o.sent("order.CancelOrder"), 0u);
}

TEST(OrchestrationAgent, DeadLettersAreRedrivenOnceToTheirOriginalTopic) {
  Orchestration agent(Env{{"SAGA_STEP_TIMEOUT_MS", "600000"}});
  // An OrderPlaced that orchestration dead-lettered (the cause since fixed), exactly as its
  // consumer writes the copy: the original headers plus dlq.*.
  Order o;
  o.placed = commerce::bus::make_envelope(
      "order.OrderPlaced", o.merchant,
      {{"order_id", o.id},
       {"customer_email", "ann@example.com"},
       {"lines",
        {{{"sku", "MUG"},
          {"quantity", 2},
          {"unit_price", {{"amount_minor", 1250}, {"currency", "EUR"}}},
          {"line_total", {{"amount_minor", 2500}, {"currency", "EUR"}}}}}},
       {"total", {{"amount_minor", 2500}, {"currency", "EUR"}}},
       {"card_token", "tok_visa"}});
  commerce::bus::Producer producer({shared().brokers, "test-dead-letters", {}});
  auto dead_letter = [&] {
    commerce::bus::OutgoingMessage m{"commerce.orchestration.dlq",
                                     o.id,
                                     commerce::bus::to_json_string(o.placed),
                                     {{"message_id", o.placed.id},
                                      {"type", "order.OrderPlaced"},
                                      {commerce::bus::kDlqError, "database was down"},
                                      {commerce::bus::kDlqTopic, "commerce.order.events"},
                                      {commerce::bus::kDlqPartition, "0"},
                                      {commerce::bus::kDlqOffset, "42"}}};
    std::string error;
    ASSERT_TRUE(producer.produce_and_wait({m}, 10s, &error)) << error;
  };
  // Twice: as if a redrive had crashed between republishing and committing.
  dead_letter();
  dead_letter();

  auto listed = fleetctl(agent, {"dlq", "list", "orchestration"});
  ASSERT_EQ(listed.exit_code, 0) << listed.output;
  EXPECT_NE(listed.output.find("type order.OrderPlaced from commerce.order.events error database "
                               "was down"),
            std::string::npos)
      << listed.output;

  auto dry = fleetctl(agent, {"dlq", "redrive", "orchestration", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_GE(dry.summary()["redriven"].get<int>(), 2) << dry.output;
  EXPECT_EQ(o.sent("inventory.ReserveStock"), 0u) << "a dry run republishes nothing";

  auto first = fleetctl(agent, {"dlq", "redrive", "orchestration"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_GE(first.summary()["redriven"].get<int>(), 2) << first.output;
  EXPECT_EQ(first.summary()["skipped"], 0) << first.output;

  // Handled where it first failed; the repeat is dropped by the inbox (same message id).
  o.await("inventory.ReserveStock");
  ASSERT_TRUE(agent.await_state(o.id, "reserving"));
  auto republished =
      commerce::stack::EventCollector(shared().brokers, {"commerce.order.events"}, "test-redriven")
          .wait_for(
              [&](const commerce::stack::ReceivedEvent& e) { return e.envelope.id == o.placed.id; },
              20s);
  ASSERT_TRUE(republished) << "back on the original topic";
  EXPECT_EQ(republished->key, o.id);

  // Committed: the next run finds nothing.
  auto second = fleetctl(agent, {"dlq", "redrive", "orchestration"});
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(second.summary(), json({{"redriven", 0}, {"skipped", 0}})) << second.output;
  auto pending = fleetctl(agent, {"dlq", "list", "orchestration"});
  EXPECT_EQ(pending.output.find("order.OrderPlaced"), std::string::npos) << pending.output;
  EXPECT_EQ(o.sent("inventory.ReserveStock"), 1u);
  EXPECT_LE(agent.saga_of(o.id)["steps"].size(), 2u)
      << "one start, one noted repeat at most: " << agent.saga_of(o.id).dump();
}

}  // namespace
