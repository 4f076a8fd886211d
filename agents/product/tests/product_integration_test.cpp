// The product executable against a real PostgreSQL and the development broker: its API over
// HTTP and the events it publishes.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/schema.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/agent_harness.hpp"
#include "commerce/stack/stack.hpp"
#include "commerce/testing/agent_test.hpp"

namespace {

using namespace std::chrono_literals;
using commerce::bus::Envelope;
using commerce::http::Headers;
using commerce::http::Response;
using commerce::testing::client;
using commerce::testing::error_code;
using commerce::testing::new_merchant;
using commerce::testing::schemas;
using commerce::testing::tenant;
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
    fleet->start("product");
    api = fleet->api_url("product");
    admin_url = pg.admin_url();
    events = std::make_unique<commerce::stack::EventCollector>(
        broker.bootstrap(), std::vector<std::string>{"commerce.product.events"}, "product-test");
  }
};

Stack& stack() { return commerce::testing::suite_stack<Stack>(); }

json product_body(const std::string& sku, std::int64_t amount = 1999) {
  return {{"sku", sku},
          {"title", "Product " + sku},
          {"price", {{"amount_minor", amount}, {"currency", "EUR"}}}};
}

Response create(const std::string& merchant, const json& body) {
  return client().post(stack().api + "/v1/products", body.dump(), tenant(merchant));
}

TEST(ProductApi, CreateGetAndEvent) {
  const auto m = new_merchant();
  auto r = create(m, product_body("TEE-1", 2500));
  ASSERT_EQ(r.status, 201) << r.body;
  const auto created = json::parse(r.body);
  const auto id = created["id"].get<std::string>();
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '7');  // UUIDv7
  EXPECT_EQ(created["sku"], "TEE-1");
  EXPECT_EQ(created["price"], json::parse(R"({"amount_minor":2500,"currency":"EUR"})"));
  EXPECT_EQ(created["active"], true);
  EXPECT_FALSE(created["created_at"].get<std::string>().empty());

  r = client().get(stack().api + "/v1/products/" + id, tenant(m));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body), created);
  r = client().get(stack().api + "/internal/skus/TEE-1", tenant(m));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["id"], id);

  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return !stack().events->about("product_id", id).empty(); }, 30s));
  const auto event = stack().events->about("product_id", id).at(0);
  EXPECT_EQ(event.key, "TEE-1");  // keyed by SKU
  EXPECT_EQ(event.envelope.type, "product.ProductCreated");
  EXPECT_EQ(event.envelope.merchant_id, m);
  EXPECT_EQ(event.envelope.payload["price"]["amount_minor"], 2500);
}

TEST(ProductApi, SkuTakenOnlyWithinTheMerchant) {
  const auto m = new_merchant();
  ASSERT_EQ(create(m, product_body("DUP")).status, 201);
  auto r = create(m, product_body("DUP"));
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(error_code(r), "sku_taken");
  EXPECT_EQ(create(new_merchant(), product_body("DUP")).status, 201);
}

TEST(ProductApi, ValidationNamesTheField) {
  const auto m = new_merchant();
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"sku", "bad sku"}, {"title", "t"}, {"price", {{"amount_minor", 1}, {"currency", "EUR"}}}},
       "sku"},
      {{{"sku", "OK"}, {"title", ""}, {"price", {{"amount_minor", 1}, {"currency", "EUR"}}}},
       "title"},
      {{{"sku", "OK"}, {"title", "t"}, {"price", {{"amount_minor", -5}, {"currency", "EUR"}}}},
       "price.amount_minor"},
      {{{"sku", "OK"}, {"title", "t"}, {"price", {{"amount_minor", 1.25}, {"currency", "EUR"}}}},
       "price.amount_minor"},
      {{{"sku", "OK"}, {"title", "t"}, {"price", {{"amount_minor", 1}, {"currency", "eur"}}}},
       "price.currency"},
      {{{"sku", "OK"}, {"title", "t"}}, "price"},
  };
  for (const auto& [body, field] : cases) {
    const auto r = create(m, body);
    EXPECT_EQ(r.status, 422) << body.dump();
    EXPECT_EQ(error_code(r), "validation_failed");
    const auto message = json::parse(r.body)["error"]["message"].get<std::string>();
    EXPECT_EQ(message.rfind(field + ":", 0), 0u) << message;
  }
  auto r = client().post(stack().api + "/v1/products", "{nope", tenant(m));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "invalid_json");
  r = client().post(stack().api + "/v1/products", product_body("X").dump());
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
  // Nothing was created by the refusals.
  r = client().get(stack().api + "/v1/products", tenant(m));
  EXPECT_EQ(json::parse(r.body)["items"].size(), 0u);
}

TEST(ProductApi, AnotherMerchantsProductIsNotFound) {
  const auto m = new_merchant();
  const auto id = json::parse(create(m, product_body("MINE")).body)["id"].get<std::string>();
  const auto other = new_merchant();
  auto r = client().get(stack().api + "/v1/products/" + id, tenant(other));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "not_found");
  r = client().request("PATCH", stack().api + "/v1/products/" + id, R"({"title":"stolen"})",
                       tenant(other));
  EXPECT_EQ(r.status, 404);
  r = client().get(stack().api + "/internal/skus/MINE", tenant(other));
  EXPECT_EQ(r.status, 404);
  r = client().get(stack().api + "/v1/products/not-a-uuid", tenant(m));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(client().get(stack().api + "/v1/products/" + id, tenant(m)).body)["title"],
            "Product MINE");
}

TEST(ProductApi, ListPagesByIdWithAnOpaqueCursor) {
  const auto m = new_merchant();
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    auto r = create(m, product_body("P-" + std::to_string(i)));
    ASSERT_EQ(r.status, 201);
    ids.push_back(json::parse(r.body)["id"]);
  }
  create(new_merchant(), product_body("P-other"));  // never listed for m
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto url = stack().api + "/v1/products?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor);
    auto r = client().get(url, tenant(m));
    ASSERT_EQ(r.status, 200) << r.body;
    const auto page = json::parse(r.body);
    EXPECT_LE(page["items"].size(), 3u);
    for (const auto& p : page["items"]) seen.push_back(p["id"]);
    cursor = page["next_cursor"].is_null() ? "" : page["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  // Keyset paging by id: every product once, in id order.
  auto sorted_ids = ids;
  std::sort(sorted_ids.begin(), sorted_ids.end());
  EXPECT_EQ(seen, sorted_ids);
  auto r = client().get(stack().api + "/v1/products", tenant(m));
  EXPECT_EQ(json::parse(r.body)["items"].size(), 7u);
  EXPECT_TRUE(json::parse(r.body)["next_cursor"].is_null());
  for (const auto* bad : {"limit=0", "limit=201", "limit=x", "cursor=garbage"}) {
    r = client().get(stack().api + "/v1/products?" + bad, tenant(m));
    EXPECT_EQ(r.status, 422) << bad;
    EXPECT_EQ(error_code(r), "validation_failed");
  }
}

TEST(ProductApi, PatchUpdatesAndAnnounces) {
  const auto m = new_merchant();
  const auto created = json::parse(create(m, product_body("PATCHED", 100)).body);
  const auto id = created["id"].get<std::string>();
  auto r = client().request("PATCH", stack().api + "/v1/products/" + id,
                            R"({"price":{"amount_minor":150,"currency":"EUR"},"active":false})",
                            tenant(m));
  ASSERT_EQ(r.status, 200) << r.body;
  const auto updated = json::parse(r.body);
  EXPECT_EQ(updated["price"]["amount_minor"], 150);
  EXPECT_EQ(updated["active"], false);
  EXPECT_EQ(updated["sku"], "PATCHED");
  EXPECT_EQ(updated["title"], created["title"]);
  r = client().request("PATCH", stack().api + "/v1/products/" + id, R"({"sku":"OTHER"})",
                       tenant(m));
  EXPECT_EQ(r.status, 422);
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        for (const auto& e : stack().events->about("product_id", id)) {
          if (e.envelope.type == "product.ProductUpdated" &&
              e.envelope.payload["price"]["amount_minor"] == 150 &&
              e.envelope.payload["active"] == false && e.key == "PATCHED") {
            return true;
          }
        }
        return false;
      },
      30s));
}

}  // namespace
