// The merchant agent as a real executable against a real PostgreSQL and the development
// broker: its API, its tables and the events it publishes.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <vector>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/schema.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/agent_harness.hpp"
#include "commerce/stack/stack.hpp"

namespace {

using namespace std::chrono_literals;
using commerce::http::Headers;
using commerce::http::Response;
using nlohmann::json;

struct Stack {
  std::unique_ptr<commerce::stack::Fleet> fleet;
  std::unique_ptr<commerce::stack::EventCollector> events;
  std::string api;
  std::string admin_url;

  Stack() {
    auto& pg = commerce::stack::EmbeddedPostgres::shared();
    auto& broker = commerce::stack::DevBroker::shared();
    commerce::stack::Fleet::Options options;
    options.admin_url = pg.admin_url();
    options.brokers = broker.bootstrap();
    fleet = std::make_unique<commerce::stack::Fleet>(options);
    fleet->start("merchant");
    api = fleet->api_url("merchant");
    admin_url = pg.admin_url();
    events = std::make_unique<commerce::stack::EventCollector>(
        broker.bootstrap(), std::vector<std::string>{"commerce.merchant.events"}, "merchant-test");
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
  static commerce::http::Client c;
  return c;
}

Headers operator_headers() {
  Headers h;
  h.set("Authorization", "Bearer " + stack().fleet->operator_token());
  h.set("Content-Type", "application/json");
  return h;
}

Headers tenant(const std::string& merchant_id) {
  Headers h;
  h.set("X-Merchant-Id", merchant_id);
  return h;
}

std::string error_code(const Response& r) {
  try {
    return json::parse(r.body).at("error").at("code").get<std::string>();
  } catch (const std::exception&) {
    return "(none: " + r.body + ")";
  }
}

json create_merchant(const std::string& name) {
  const auto r =
      client().post(stack().api + "/v1/merchants", json{{"name", name}}.dump(), operator_headers());
  EXPECT_EQ(r.status, 201) << r.body;
  return json::parse(r.body);
}

const commerce::bus::SchemaRegistry& schemas() {
  static const auto registry =
      commerce::bus::SchemaRegistry::load(commerce::stack::source_dir() + "/schemas");
  return registry;
}

TEST(MerchantApi, OperatorTokenIsRequired) {
  Headers none;
  none.set("Content-Type", "application/json");
  auto r = client().post(stack().api + "/v1/merchants", R"({"name":"x"})", none);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  Headers wrong = none;
  wrong.set("Authorization", "Bearer " + stack().fleet->operator_token() + "x");
  r = client().post(stack().api + "/v1/merchants", R"({"name":"x"})", wrong);
  EXPECT_EQ(r.status, 401);
  r = client().post(stack().api + "/v1/merchants/any/api-keys", "", wrong);
  EXPECT_EQ(r.status, 401);
  r = client().request("DELETE", stack().api + "/v1/merchants/any/api-keys/k", "", wrong);
  EXPECT_EQ(r.status, 401);
}

TEST(MerchantApi, BadInputIsRejectedWithAReason) {
  auto r = client().post(stack().api + "/v1/merchants", "{not json", operator_headers());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "invalid_json");
  r = client().post(stack().api + "/v1/merchants", R"({"name":"   "})", operator_headers());
  EXPECT_EQ(r.status, 422);
  EXPECT_NE(r.body.find("name"), std::string::npos);
  r = client().post(stack().api + "/v1/merchants", R"({"name":7})", operator_headers());
  EXPECT_EQ(r.status, 422);
  r = client().post(stack().api + "/v1/merchants", R"([])", operator_headers());
  EXPECT_EQ(r.status, 422);
}

TEST(MerchantApi, CreateShowsTheKeyOnceAndStoresOnlyItsHash) {
  const std::string name = commerce::stack::unique_name("acme");
  const json created = create_merchant("  " + name + " ");
  const std::string merchant_id = created["merchant"]["id"];
  const std::string key = created["api_key"]["key"];
  EXPECT_EQ(created["merchant"]["name"], name);
  EXPECT_FALSE(created["merchant"]["created_at"].get<std::string>().empty());
  EXPECT_EQ(key.rfind("ck_live_", 0), 0u);
  EXPECT_EQ(created["api_key"]["prefix"], key.substr(0, 12));

  pqxx::connection db(stack().admin_url);
  pqxx::work tx(db);
  const auto rows = tx.exec_params(
      "SELECT key_hash, prefix FROM merchant.api_keys WHERE merchant_id = $1", merchant_id);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0][0].as<std::string>(), commerce::core::sha256_hex(key));
  EXPECT_EQ(rows[0][1].as<std::string>(), key.substr(0, 12));
  const auto leaks = tx.exec_params(
      "SELECT count(*) FROM merchant.api_keys k WHERE k::text LIKE '%' || $1 || '%'", key);
  EXPECT_EQ(leaks[0][0].as<int>(), 0);

  // The events: MerchantCreated and ApiKeyCreated with the hash, never the key.
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        return !stack()
                    .events->envelopes("merchant.ApiKeyCreated", "merchant_id", merchant_id)
                    .empty() &&
               !stack()
                    .events->envelopes("merchant.MerchantCreated", "merchant_id", merchant_id)
                    .empty();
      },
      30s));
  const auto key_event =
      stack().events->envelopes("merchant.ApiKeyCreated", "merchant_id", merchant_id);
  ASSERT_EQ(key_event.size(), 1u);
  EXPECT_EQ(key_event[0].merchant_id, merchant_id);
  EXPECT_EQ(key_event[0].payload["key_hash"], commerce::core::sha256_hex(key));
  EXPECT_EQ(key_event[0].payload["key_id"], created["api_key"]["id"]);
  EXPECT_EQ(commerce::bus::to_json_string(key_event[0]).find(key), std::string::npos);
  EXPECT_EQ(schemas().validate(key_event[0].type, 1, key_event[0].payload), std::nullopt);
  const auto merchant_event =
      stack().events->envelopes("merchant.MerchantCreated", "merchant_id", merchant_id);
  EXPECT_EQ(merchant_event[0].payload["name"], name);
}

TEST(MerchantApi, KeysAreIssuedListedAndRevokedOnce) {
  const json created = create_merchant(commerce::stack::unique_name("keys"));
  const std::string merchant_id = created["merchant"]["id"];
  const std::string first_key_id = created["api_key"]["id"];

  const auto issued = client().post(stack().api + "/v1/merchants/" + merchant_id + "/api-keys", "",
                                    operator_headers());
  ASSERT_EQ(issued.status, 201) << issued.body;
  const json second = json::parse(issued.body);
  EXPECT_NE(second["key"], created["api_key"]["key"]);

  auto unknown = client().post(stack().api + "/v1/merchants/no-such-merchant/api-keys", "",
                               operator_headers());
  EXPECT_EQ(unknown.status, 404);

  const std::string revoke_url =
      stack().api + "/v1/merchants/" + merchant_id + "/api-keys/" + first_key_id;
  EXPECT_EQ(client().request("DELETE", revoke_url, "", operator_headers()).status, 204);
  EXPECT_EQ(client().request("DELETE", revoke_url, "", operator_headers()).status, 204);
  EXPECT_EQ(client()
                .request("DELETE", stack().api + "/v1/merchants/" + merchant_id + "/api-keys/nope",
                         "", operator_headers())
                .status,
            404);
  // Another merchant's key cannot be revoked through this merchant.
  const json other = create_merchant(commerce::stack::unique_name("other"));
  EXPECT_EQ(client()
                .request("DELETE",
                         stack().api + "/v1/merchants/" + merchant_id + "/api-keys/" +
                             other["api_key"]["id"].get<std::string>(),
                         "", operator_headers())
                .status,
            404);

  // A sentinel key issued after both DELETEs: its event follows theirs on the merchant's
  // partition, so once it is seen anything the second DELETE could have emitted is seen too.
  const auto sentinel = client().post(stack().api + "/v1/merchants/" + merchant_id + "/api-keys",
                                      "", operator_headers());
  ASSERT_EQ(sentinel.status, 201);
  const std::string sentinel_id = json::parse(sentinel.body)["id"];

  const auto me = client().get(stack().api + "/v1/merchants/me", tenant(merchant_id));
  ASSERT_EQ(me.status, 200) << me.body;
  const json doc = json::parse(me.body);
  EXPECT_EQ(doc["id"], merchant_id);
  ASSERT_EQ(doc["api_keys"].size(), 3u);
  int revoked = 0;
  for (const auto& k : doc["api_keys"]) {
    EXPECT_FALSE(k.contains("key_hash"));
    EXPECT_FALSE(k.contains("key"));
    if (!k["revoked_at"].is_null()) {
      ++revoked;
      EXPECT_EQ(k["id"], first_key_id);
    }
  }
  EXPECT_EQ(revoked, 1);

  // One ApiKeyRevoked, though revoked twice.
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        return !stack().events->envelopes("merchant.ApiKeyCreated", "key_id", sentinel_id).empty();
      },
      30s));
  const auto revocations =
      stack().events->envelopes("merchant.ApiKeyRevoked", "key_id", first_key_id);
  EXPECT_EQ(revocations.size(), 1u);
  EXPECT_EQ(revocations[0].payload["key_hash"],
            commerce::core::sha256_hex(created["api_key"]["key"].get<std::string>()));
}

TEST(MerchantApi, MeNeedsTheTenantHeader) {
  auto r = client().get(stack().api + "/v1/merchants/me");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  r = client().get(stack().api + "/v1/merchants/me", tenant("no-such-merchant"));
  EXPECT_EQ(r.status, 404);
}

}  // namespace
