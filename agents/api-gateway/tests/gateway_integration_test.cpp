// The gateway and the merchant agent as real executables, against a real PostgreSQL and the
// development broker. The other upstreams (product, inventory, order) are a small in-test HTTP
// server that records what reached it, so the tests can count forwarded requests.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <atomic>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "commerce/core/ids.hpp"
#include "commerce/core/traceparent.hpp"
#include "commerce/http/http.hpp"
#include "commerce/log/log.hpp"
#include "commerce/stack/stack.hpp"

namespace {

using namespace std::chrono_literals;
using commerce::http::Headers;
using commerce::http::Request;
using commerce::http::Response;
using nlohmann::json;

constexpr auto kKeyCacheTtl = 2s;

struct Seen {
  std::string method;
  std::string target;
  std::string body;
  std::string merchant_id;
  std::string request_id;
  std::string traceparent;
  std::string authorization;
  std::string idempotency_key;
};

// The stand-in for product, inventory and order: answers like an agent and records every call.
class RecordingUpstream {
 public:
  RecordingUpstream() {
    commerce::http::Router router;
    auto record = [this](const Request& r) {
      // The server hands handlers a traceparent naming its own span; the one the gateway sent
      // is that span's parent.
      const auto& trace = commerce::log::current_context();
      const std::string received = trace.parent_span_id.empty() ? ""
                                                                : "00-" + trace.trace_id + "-" +
                                                                      trace.parent_span_id + "-01";
      std::lock_guard lock(mutex_);
      seen_.push_back({r.method, r.target, r.body, r.header("X-Merchant-Id"),
                       r.header("X-Request-Id"), received, r.header("Authorization"),
                       r.header("Idempotency-Key")});
      return seen_.size();
    };
    router.add("POST", "/v1/products", [record](const Request& r) {
      const auto n = record(r);
      return Response::json(201, {{"id", "p-" + std::to_string(n)}, {"echo", r.body}});
    });
    router.add("GET", "/v1/products", [record](const Request& r) {
      record(r);
      return Response::json(200, {{"merchant_id", r.header("X-Merchant-Id")}});
    });
    router.add("POST", "/v1/stock/{sku}/adjustments", [record](const Request& r) {
      const auto n = record(r);
      if (r.body.find("fail") != std::string::npos) {
        return Response::error(500, "internal", "asked to fail");
      }
      // Long enough that concurrent requests with one key overlap with this one.
      std::this_thread::sleep_for(300ms);
      return Response::json(201, {{"adjustment", n}});
    });
    // Like the order agent, which keeps Idempotency-Keys itself: a key seen before is a replay.
    router.add("POST", "/v1/orders", [this, record](const Request& r) {
      const auto key = r.header("Idempotency-Key");
      bool seen_before = false;
      {
        std::lock_guard lock(mutex_);
        for (const auto& s : seen_) seen_before |= !key.empty() && s.idempotency_key == key;
      }
      record(r);
      auto answer = Response::json(201, {{"order", key}});
      if (seen_before) answer.headers.set("Idempotent-Replayed", "true");
      return answer;
    });
    router.add("GET", "/v1/stock/{sku}", [record](const Request& r) {
      record(r);
      if (r.params.at("sku") == "slow") std::this_thread::sleep_for(2s);
      return Response::json(200, {{"sku", r.params.at("sku")}});
    });
    commerce::http::ServerOptions options;
    options.worker_threads = 16;
    server_ = std::make_unique<commerce::http::Server>(std::move(router), options);
    server_->start();
  }
  ~RecordingUpstream() { server_->stop(); }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::vector<Seen> matching(const std::string& method, const std::string& body_part) {
    std::lock_guard lock(mutex_);
    std::vector<Seen> out;
    for (const auto& s : seen_) {
      if (s.method == method && s.body.find(body_part) != std::string::npos) out.push_back(s);
    }
    return out;
  }
  std::vector<Seen> with_target(const std::string& target) {
    std::lock_guard lock(mutex_);
    std::vector<Seen> out;
    for (const auto& s : seen_) {
      if (s.target == target) out.push_back(s);
    }
    return out;
  }

 private:
  std::mutex mutex_;
  std::vector<Seen> seen_;
  std::unique_ptr<commerce::http::Server> server_;
};

struct Stack {
  RecordingUpstream upstream;
  std::string unreachable = "http://127.0.0.1:" + std::to_string(commerce::stack::free_port());
  std::unique_ptr<commerce::stack::Fleet> fleet;
  std::string gateway;
  std::string merchant_admin_url;

  Stack() {
    auto& pg = commerce::stack::EmbeddedPostgres::shared();
    auto& broker = commerce::stack::DevBroker::shared();
    commerce::stack::Fleet::Options options;
    options.admin_url = pg.admin_url();
    options.brokers = broker.bootstrap();
    options.env = {{"AGENT_URL_PRODUCT", upstream.url()},
                   {"AGENT_URL_INVENTORY", upstream.url()},
                   {"AGENT_URL_ORDER", upstream.url()},
                   {"AGENT_URL_PAYMENT", unreachable}};
    options.agent_env["api-gateway"] = {
        {"UPSTREAM_TIMEOUT", "500ms"},
        {"API_KEY_CACHE_TTL",
         std::to_string(
             std::chrono::duration_cast<std::chrono::milliseconds>(kKeyCacheTtl).count())}};
    fleet = std::make_unique<commerce::stack::Fleet>(options);
    fleet->start("merchant");  // first, so the gateway gets its AGENT_URL_MERCHANT
    fleet->start("api-gateway");
    gateway = fleet->api_url("api-gateway");
  }
};

std::unique_ptr<Stack> running_stack;

Stack& stack() {
  if (!running_stack) running_stack = std::make_unique<Stack>();
  return *running_stack;
}

// Stops the agents and our consumers while main() still runs, not during static destruction
// (when the logging library may already be gone).
class StackTeardown : public ::testing::Environment {
 public:
  void TearDown() override { running_stack.reset(); }
};
const auto* const teardown = ::testing::AddGlobalTestEnvironment(new StackTeardown);

commerce::http::Client& client() {
  static commerce::http::Client c(commerce::http::ClientOptions{10s, 32});
  return c;
}

Headers with(std::initializer_list<std::pair<std::string, std::string>> items) {
  Headers h;
  for (const auto& [k, v] : items) h.set(k, v);
  return h;
}

Response call(const std::string& method, const std::string& target, const std::string& body = "",
              Headers headers = {}) {
  if (!body.empty() && !headers.get("Content-Type"))
    headers.set("Content-Type", "application/json");
  return client().request(method, stack().gateway + target, body, headers);
}

std::string error_code(const Response& r) {
  try {
    return json::parse(r.body).at("error").at("code").get<std::string>();
  } catch (const std::exception&) {
    return "(no error code in: " + r.body + ")";
  }
}

Headers operator_headers() {
  return with({{"Authorization", "Bearer " + stack().fleet->operator_token()}});
}

struct Merchant {
  std::string id;
  std::string key;
  std::string key_id;
};

Headers key_headers(const Merchant& m,
                    std::initializer_list<std::pair<std::string, std::string>> extra = {}) {
  Headers h = with(extra);
  h.set("Authorization", "Bearer " + m.key);
  return h;
}

// Creates a merchant through the gateway and waits until its key works there (the gateway
// learns keys only from merchant.ApiKeyCreated).
Merchant active_merchant() {
  const auto created =
      call("POST", "/v1/merchants", json{{"name", commerce::stack::unique_name("shop")}}.dump(),
           operator_headers());
  EXPECT_EQ(created.status, 201) << created.body;
  const auto doc = json::parse(created.body);
  Merchant m{doc.at("merchant").at("id"), doc.at("api_key").at("key"), doc.at("api_key").at("id")};
  const bool active = commerce::stack::wait_until(
      [&] { return call("GET", "/v1/products", "", key_headers(m)).status == 200; }, 30s, 50ms);
  EXPECT_TRUE(active) << "key never became valid at the gateway";
  return m;
}

Merchant& shared_merchant() {
  static Merchant m = active_merchant();
  return m;
}

TEST(GatewayAuth, KeyFromMerchantWorksAfterItsEventAndCarriesTheTenant) {
  const Merchant m = active_merchant();
  const auto r = call("GET", "/v1/products", "", key_headers(m));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body).at("merchant_id"), m.id);

  // The same key through X-Api-Key.
  EXPECT_EQ(call("GET", "/v1/products", "", with({{"X-Api-Key", m.key}})).status, 200);

  // GET /v1/merchants/me reaches the merchant agent with the tenant: the key's prefix, no hash.
  const auto me = call("GET", "/v1/merchants/me", "", key_headers(m));
  ASSERT_EQ(me.status, 200) << me.body;
  const auto doc = json::parse(me.body);
  EXPECT_EQ(doc.at("id"), m.id);
  ASSERT_EQ(doc.at("api_keys").size(), 1u);
  EXPECT_EQ(doc["api_keys"][0].at("prefix"), m.key.substr(0, 12));
  EXPECT_EQ(me.body.find(commerce::core::sha256_hex(m.key)), std::string::npos);
  EXPECT_EQ(me.body.find(m.key), std::string::npos);
}

TEST(GatewayAuth, RevokedKeyIsRefusedWithinTheCacheTtl) {
  const Merchant m = active_merchant();
  // A second key, so the merchant keeps one that works.
  const auto second = call("POST", "/v1/merchants/" + m.id + "/api-keys", "", operator_headers());
  ASSERT_EQ(second.status, 201) << second.body;
  const auto revoked =
      call("DELETE", "/v1/merchants/" + m.id + "/api-keys/" + m.key_id, "", operator_headers());
  ASSERT_EQ(revoked.status, 204) << revoked.body;
  const auto started = std::chrono::steady_clock::now();
  // Event delivery (outbox relay, broker, consumer) plus at most one cache TTL.
  const bool refused = commerce::stack::wait_until(
      [&] { return call("GET", "/v1/products", "", key_headers(m)).status == 401; },
      kKeyCacheTtl + 10s, 50ms);
  ASSERT_TRUE(refused) << "revoked key still accepted";
  EXPECT_LT(std::chrono::steady_clock::now() - started, kKeyCacheTtl + 10s);
  const auto r = call("GET", "/v1/products", "", key_headers(m));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");

  const Merchant other{m.id, json::parse(second.body).at("key"), ""};
  EXPECT_TRUE(commerce::stack::wait_until(
      [&] { return call("GET", "/v1/products", "", key_headers(other)).status == 200; }, 30s));
}

TEST(GatewayAuth, MissingOrUnknownKeyIs401) {
  auto r = call("GET", "/v1/products");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  r = call("GET", "/v1/orders/abc", "", with({{"Authorization", "Bearer ck_live_nope"}}));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  r = call("GET", "/v1/orders", "", with({{"X-Api-Key", "ck_live_nope"}}));
  EXPECT_EQ(r.status, 401);
  r = call("GET", "/v1/orders", "", with({{"Authorization", "Basic Zm9vOmJhcg=="}}));
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.headers.get("X-Request-Id").has_value());
}

TEST(GatewayAuth, OperatorRoutesAreCheckedByTheMerchantAgent) {
  auto r = call("POST", "/v1/merchants", R"({"name":"x"})");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  r = call("POST", "/v1/merchants", R"({"name":"x"})",
           with({{"Authorization", "Bearer not-the-operator-token"}}));
  EXPECT_EQ(r.status, 401);
  // A merchant's API key is not the operator token.
  r = call("POST", "/v1/merchants", R"({"name":"x"})", key_headers(shared_merchant()));
  EXPECT_EQ(r.status, 401);
}

TEST(GatewayRouting, UnknownRouteIs404AndWrongMethodIs405) {
  const auto& m = shared_merchant();
  auto r = call("GET", "/v1/nothing-here", "", key_headers(m));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "not_found");
  EXPECT_EQ(call("GET", "/v2/orders", "", key_headers(m)).status, 404);
  r = call("DELETE", "/v1/orders", "", key_headers(m));
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(call("PUT", "/v1/orders/abc", "{}", key_headers(m)).status, 405);
  EXPECT_EQ(call("GET", "/v1/merchants", "", key_headers(m)).status, 405);
}

TEST(GatewayLimits, BodyOverOneMebibyteIs413) {
  const auto& m = shared_merchant();
  const std::string big = "{\"x\":\"" + std::string(1024 * 1024, 'a') + "\"}";
  const auto r = call("POST", "/v1/products", big, key_headers(m));
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(stack().upstream.matching("POST", std::string(64, 'a')).empty());
}

TEST(GatewayLimits, MalformedJsonIs400BeforeForwarding) {
  const auto& m = shared_merchant();
  const std::string marker = commerce::stack::unique_name("broken");
  const auto r = call("POST", "/v1/products", "{\"" + marker + "\": ", key_headers(m));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "invalid_json");
  const auto p = call("PATCH", "/v1/products/p1", "[1,", key_headers(m));
  EXPECT_EQ(p.status, 400);
  EXPECT_TRUE(stack().upstream.matching("POST", marker).empty());
}

TEST(GatewayHeaders, ClientMerchantIdIsOverriddenAndIdsTravel) {
  const auto& m = shared_merchant();
  const std::string marker = commerce::stack::unique_name("hdr");
  const std::string trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const auto r = call("POST", "/v1/products", json{{"title", marker}}.dump(),
                      key_headers(m, {{"X-Merchant-Id", "someone-else"},
                                      {"X-Request-Id", "req-" + marker},
                                      {"traceparent", trace}}));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.headers.get("X-Request-Id"), "req-" + marker);
  const auto seen = stack().upstream.matching("POST", marker);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].merchant_id, m.id);
  EXPECT_EQ(seen[0].request_id, "req-" + marker);
  // The trace carries on; the upstream's parent is the gateway's own span, which the caller
  // gets back in the response to quote.
  const auto upstream_trace = commerce::core::TraceParent::parse(seen[0].traceparent);
  ASSERT_TRUE(upstream_trace) << seen[0].traceparent;
  EXPECT_EQ(upstream_trace->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_NE(upstream_trace->span_id, "00f067aa0ba902b7");
  EXPECT_EQ(r.headers.get("traceparent"), seen[0].traceparent);
  EXPECT_TRUE(seen[0].authorization.empty()) << "the API key must not travel upstream";

  // Without them the gateway makes its own.
  const std::string marker2 = commerce::stack::unique_name("hdr");
  const auto r2 = call("POST", "/v1/products", json{{"title", marker2}}.dump(), key_headers(m));
  ASSERT_EQ(r2.status, 201);
  const auto seen2 = stack().upstream.matching("POST", marker2);
  ASSERT_EQ(seen2.size(), 1u);
  ASSERT_TRUE(r2.headers.get("X-Request-Id"));
  EXPECT_EQ(seen2[0].request_id, *r2.headers.get("X-Request-Id"));
  EXPECT_TRUE(commerce::core::TraceParent::parse(seen2[0].traceparent)) << seen2[0].traceparent;
  EXPECT_EQ(r2.headers.get("traceparent"), seen2[0].traceparent);
}

TEST(GatewayUpstreams, UnreachableIs503AndSlowIs504) {
  const auto& m = shared_merchant();
  auto r = call("GET", "/v1/payments/o-1", "", key_headers(m));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(error_code(r), "upstream_unavailable");
  r = call("GET", "/v1/stock/slow", "", key_headers(m));
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(error_code(r), "upstream_timeout");
  r = call("GET", "/v1/stock/fast?x=1", "", key_headers(m));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(stack().upstream.with_target("/v1/stock/fast?x=1").size(), 1u);
}

TEST(GatewayIdempotency, SameKeyAndBodyReplaysAndTheUpstreamSeesOneRequest) {
  const auto& m = shared_merchant();
  const std::string marker = commerce::stack::unique_name("idem");
  const std::string body = json{{"title", marker}}.dump();
  const auto first =
      call("POST", "/v1/products", body, key_headers(m, {{"Idempotency-Key", marker}}));
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_FALSE(first.headers.get("Idempotent-Replayed"));
  const auto second =
      call("POST", "/v1/products", body, key_headers(m, {{"Idempotency-Key", marker}}));
  EXPECT_EQ(second.status, 201);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.headers.get("Idempotent-Replayed"), "true");
  EXPECT_EQ(second.headers.get("Content-Type"), first.headers.get("Content-Type"));
  EXPECT_EQ(stack().upstream.matching("POST", marker).size(), 1u);

  // Another merchant's identical key is its own.
  const Merchant other = active_merchant();
  const auto theirs =
      call("POST", "/v1/products", body, key_headers(other, {{"Idempotency-Key", marker}}));
  EXPECT_EQ(theirs.status, 201);
  EXPECT_FALSE(theirs.headers.get("Idempotent-Replayed"));
  EXPECT_EQ(stack().upstream.matching("POST", marker).size(), 2u);
}

TEST(GatewayIdempotency, SameKeyOtherBodyIs409) {
  const auto& m = shared_merchant();
  const std::string marker = commerce::stack::unique_name("idem");
  ASSERT_EQ(call("POST", "/v1/products", json{{"title", marker}}.dump(),
                 key_headers(m, {{"Idempotency-Key", marker}}))
                .status,
            201);
  const auto r = call("POST", "/v1/products", json{{"title", marker + "-other"}}.dump(),
                      key_headers(m, {{"Idempotency-Key", marker}}));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), "idempotency_key_reused");
  EXPECT_EQ(stack().upstream.matching("POST", marker).size(), 1u);
}

TEST(GatewayIdempotency, KeyLongerThan255Is400) {
  const auto& m = shared_merchant();
  const auto r = call("POST", "/v1/products", R"({"title":"x"})",
                      key_headers(m, {{"Idempotency-Key", std::string(256, 'k')}}));
  EXPECT_EQ(r.status, 400);
}

TEST(GatewayIdempotency, ConcurrentSameKeyForwardsOnce) {
  const auto& m = shared_merchant();
  const std::string marker = commerce::stack::unique_name("race");
  const std::string body = json{{"note", marker}}.dump();
  constexpr int kClients = 6;
  std::vector<Response> answers(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      commerce::http::Client own;  // one connection per client, so they really overlap
      answers[i] = own.request(
          "POST", stack().gateway + "/v1/stock/race/adjustments", body,
          key_headers(m, {{"Idempotency-Key", marker}, {"Content-Type", "application/json"}}));
    });
  }
  for (auto& t : threads) t.join();
  int originals = 0, replays = 0, in_progress = 0;
  std::string original_body;
  for (const auto& a : answers) {
    if (a.status == 201 && !a.headers.get("Idempotent-Replayed")) {
      ++originals;
      original_body = a.body;
    } else if (a.status == 201) {
      ++replays;
    } else if (a.status == 409 && error_code(a) == "idempotency_key_in_progress") {
      ++in_progress;
    } else {
      ADD_FAILURE() << "unexpected answer " << a.status << " " << a.body;
    }
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(originals + replays + in_progress, kClients);
  for (const auto& a : answers) {
    if (a.status == 201) {
      EXPECT_EQ(a.body, original_body);
    }
  }
  EXPECT_EQ(stack().upstream.matching("POST", marker).size(), 1u);
}

TEST(GatewayIdempotency, ServerErrorsAreNotRememberedSoTheClientMayRetry) {
  const auto& m = shared_merchant();
  const std::string marker = commerce::stack::unique_name("fail");
  const std::string body = json{{"note", marker}}.dump();
  const std::string target = "/v1/stock/fail/adjustments";
  EXPECT_EQ(call("POST", target, body, key_headers(m, {{"Idempotency-Key", marker}})).status, 500);
  EXPECT_EQ(call("POST", target, body, key_headers(m, {{"Idempotency-Key", marker}})).status, 500);
  EXPECT_EQ(stack().upstream.matching("POST", marker).size(), 2u);
}

TEST(GatewayIdempotency, OrderPostsLeaveTheKeyToTheOrderAgent) {
  // The order agent claims the key in the statement that places the order: the gateway checks
  // the key's form, forwards every POST with it, stores nothing, and passes the replay mark on.
  const auto& m = shared_merchant();
  const std::string marker = commerce::stack::unique_name("order-key");
  const std::string body = json{{"note", marker}}.dump();
  const auto first =
      call("POST", "/v1/orders", body, key_headers(m, {{"Idempotency-Key", marker}}));
  ASSERT_EQ(first.status, 201) << first.body;
  EXPECT_FALSE(first.headers.get("Idempotent-Replayed"));
  const auto again =
      call("POST", "/v1/orders", body, key_headers(m, {{"Idempotency-Key", marker}}));
  ASSERT_EQ(again.status, 201) << again.body;
  EXPECT_EQ(again.headers.get("Idempotent-Replayed"), "true");
  const auto seen = stack().upstream.matching("POST", marker);
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& s : seen) EXPECT_EQ(s.idempotency_key, marker);
  {
    pqxx::connection c(stack().fleet->database_admin_url());
    pqxx::work tx(c);
    EXPECT_EQ(tx.exec_params1("SELECT count(*) FROM api_gateway.idempotency_keys WHERE key = $1",
                              marker)[0]
                  .as<long>(),
              0);
  }
  // A malformed key is still the gateway's 400, and never reaches the order agent.
  const auto bad = call("POST", "/v1/orders", json{{"note", marker + "-bad"}}.dump(),
                        key_headers(m, {{"Idempotency-Key", std::string(256, 'k')}}));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_code(bad), "invalid_idempotency_key");
  EXPECT_TRUE(stack().upstream.matching("POST", marker + "-bad").empty());
}

TEST(GatewayIdempotency, OperatorPostsAreIdempotentToo) {
  const std::string key = commerce::stack::unique_name("op");
  const std::string body = json{{"name", key}}.dump();
  Headers h = operator_headers();
  h.set("Idempotency-Key", key);
  const auto first = call("POST", "/v1/merchants", body, h);
  ASSERT_EQ(first.status, 201) << first.body;
  const auto again = call("POST", "/v1/merchants", body, h);
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);  // the same merchant, not a second one
  EXPECT_EQ(again.headers.get("Idempotent-Replayed"), "true");
  // Someone without the token using the same key gets nothing of the operator's.
  Headers stranger = with({{"Authorization", "Bearer guess"}, {"Idempotency-Key", key}});
  const auto r = call("POST", "/v1/merchants", body, stranger);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body.find(json::parse(first.body)["merchant"]["id"].get<std::string>()),
            std::string::npos);
}

TEST(GatewayMetrics, AuthFailuresAndUpstreamDurationsAreExposed) {
  const auto& m = shared_merchant();
  call("GET", "/v1/products", "", with({{"X-Api-Key", "ck_live_wrong"}}));
  call("GET", "/v1/products", "", key_headers(m));
  const auto r = client().get(stack().fleet->admin_url("api-gateway") + "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("gateway_auth_failures_total"), std::string::npos);
  EXPECT_NE(r.body.find("gateway_upstream_duration_seconds_bucket{upstream=\"product\""),
            std::string::npos)
      << r.body.substr(0, 2000);
}

TEST(GatewayStartup, MissingUpstreamSettingStopsStartUp) {
  stack();
  const auto& running = stack().fleet->agent("api-gateway");
  commerce::stack::Process gateway(
      {commerce::stack::bin_dir() + "/api-gateway-agent"},
      {{"DATABASE_URL", running.database_url},
       {"KAFKA_BROKERS", commerce::stack::DevBroker::shared().bootstrap()},
       {"MIGRATIONS_DIR", commerce::stack::source_dir() + "/migrations/api-gateway"},
       {"SCHEMAS_DIR", commerce::stack::source_dir() + "/schemas"},
       {"AGENT_URL_MERCHANT", stack().upstream.url()},
       {"AGENT_URL_PRODUCT", stack().upstream.url()},
       {"AGENT_URL_INVENTORY", stack().upstream.url()},
       {"AGENT_URL_PAYMENT", stack().upstream.url()}});
  const auto status = gateway.wait(20s);
  ASSERT_TRUE(status.has_value()) << "the gateway started without AGENT_URL_ORDER";
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);
}

}  // namespace
