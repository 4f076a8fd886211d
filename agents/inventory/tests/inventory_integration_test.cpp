// Two inventory executables against a real PostgreSQL and the development broker: the stock
// API, and ReserveStock / ReleaseStock commands produced to Kafka, with the events read back.
// Two instances share the consumer group, so the concurrency test relies on row locks only.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <vector>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/kafka.hpp"
#include "commerce/bus/schema.hpp"
#include "commerce/core/ids.hpp"
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
  std::unique_ptr<commerce::bus::Producer> producer;
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
    fleet->start("inventory");
    fleet->start("inventory");  // a second instance in the same consumer group
    api = fleet->api_url("inventory");
    admin_url = pg.admin_url();
    producer = std::make_unique<commerce::bus::Producer>(
        commerce::bus::BusConfig{broker.bootstrap(), "inventory-test-commands", {}});
    events = std::make_unique<commerce::stack::EventCollector>(
        broker.bootstrap(), std::vector<std::string>{"commerce.inventory.events"},
        "inventory-test");
  }
};

Stack& stack() { return commerce::testing::suite_stack<Stack>(); }

Response put_stock(const std::string& merchant, const std::string& sku, const json& body) {
  return client().request("PUT", stack().api + "/v1/stock/" + sku, body.dump(), tenant(merchant));
}
Response adjust(const std::string& merchant, const std::string& sku, const json& body) {
  return client().post(stack().api + "/v1/stock/" + sku + "/adjustments", body.dump(),
                       tenant(merchant));
}
json get_stock(const std::string& merchant, const std::string& sku) {
  const auto r = client().get(stack().api + "/v1/stock/" + sku, tenant(merchant));
  EXPECT_EQ(r.status, 200) << r.body;
  return r.status == 200 ? json::parse(r.body) : json();
}

Envelope command(const std::string& type, const std::string& merchant, json payload) {
  const auto error = schemas().validate(type, 1, payload);
  EXPECT_FALSE(error) << *error;
  return commerce::bus::make_envelope(type, merchant, std::move(payload));
}

Envelope reserve(const std::string& merchant, const std::string& order_id,
                 const std::vector<std::pair<std::string, int>>& lines) {
  json l = json::array();
  for (const auto& [sku, qty] : lines) l.push_back({{"sku", sku}, {"quantity", qty}});
  return command("inventory.ReserveStock", merchant, {{"order_id", order_id}, {"lines", l}});
}
Envelope release(const std::string& merchant, const std::string& order_id) {
  return command("inventory.ReleaseStock", merchant,
                 {{"order_id", order_id}, {"reason", "payment_declined"}});
}

// Produces the envelopes keyed by order id (or `key`), in order, and waits for the broker.
void send(const std::vector<Envelope>& envelopes, const std::string& key = "") {
  std::vector<commerce::bus::OutgoingMessage> out;
  for (const auto& e : envelopes) {
    out.push_back({"commerce.inventory.commands",
                   key.empty() ? e.payload.at("order_id").get<std::string>() : key,
                   commerce::bus::to_json_string(e),
                   {}});
  }
  std::string error;
  ASSERT_TRUE(stack().producer->produce_and_wait(std::move(out), 30s, &error)) << error;
}

long query(const std::string& sql) {
  pqxx::connection c(stack().admin_url);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}

TEST(InventoryApi, SetAdjustAndReadStock) {
  const auto m = new_merchant();
  auto r = put_stock(m, "SKU-A", {{"on_hand", 10}});
  ASSERT_EQ(r.status, 200) << r.body;
  auto view = json::parse(r.body);
  EXPECT_EQ(view["sku"], "SKU-A");
  EXPECT_EQ(view["on_hand"], 10);
  EXPECT_EQ(view["available"], 10);
  ASSERT_EQ(view["locations"].size(), 1u);
  EXPECT_EQ(view["locations"][0]["location"], "main");

  ASSERT_EQ(put_stock(m, "SKU-A", {{"on_hand", 5}, {"location", "east"}}).status, 200);
  r = adjust(m, "SKU-A", {{"delta", -3}, {"reason", "damaged"}});
  ASSERT_EQ(r.status, 200) << r.body;
  view = get_stock(m, "SKU-A");
  EXPECT_EQ(view["on_hand"], 12);
  EXPECT_EQ(view["reserved"], 0);
  EXPECT_EQ(view["available"], 12);
  ASSERT_EQ(view["locations"].size(), 2u);
  EXPECT_EQ(view["locations"][0]["location"], "main");  // the default location first
  EXPECT_EQ(view["locations"][0]["on_hand"], 7);
  EXPECT_EQ(view["locations"][1]["on_hand"], 5);

  // The ledger explains every change.
  EXPECT_EQ(query("SELECT coalesce(sum(delta_on_hand), 0) FROM inventory.movements WHERE "
                  "merchant_id = '" +
                  m + "' AND sku = 'SKU-A'"),
            12);
  // And every change is announced, keyed by SKU.
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        return !stack()
                    .events
                    ->matching([&](const commerce::stack::ReceivedEvent& e) {
                      return e.envelope.type == "inventory.StockLevelChanged" &&
                             e.envelope.merchant_id == m && e.key == "SKU-A" &&
                             e.envelope.payload["on_hand"] == 7 &&
                             e.envelope.payload["location"] == "main";
                    })
                    .empty();
      },
      30s));
}

TEST(InventoryApi, RefusesBadInputAndForeignStock) {
  const auto m = new_merchant();
  ASSERT_EQ(put_stock(m, "SKU-B", {{"on_hand", 2}}).status, 200);
  for (const auto& body :
       {json{{"on_hand", -1}}, json{{"on_hand", 1.5}}, json{{"on_hand", "3"}},
        json{{"on_hand", 1000000001}}, json::object(),
        json{{"on_hand", 1}, {"location", "no/slash"}}, json{{"on_hand", 1}, {"extra", true}}}) {
    const auto r = put_stock(m, "SKU-B", body);
    EXPECT_EQ(r.status, 422) << body.dump() << " " << r.body;
    EXPECT_EQ(error_code(r), "validation_failed");
  }
  for (const auto& body :
       {json{{"delta", 0}, {"reason", "x"}}, json{{"delta", 1}},
        json{{"delta", 2000000000}, {"reason", "x"}}, json{{"delta", 1.5}, {"reason", "x"}}}) {
    const auto r = adjust(m, "SKU-B", body);
    EXPECT_EQ(r.status, 422) << body.dump() << " " << r.body;
  }
  auto r = adjust(m, "SKU-B", {{"delta", -3}, {"reason", "count"}});
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(error_code(r), "insufficient_stock");
  r = client().request("PUT", stack().api + "/v1/stock/SKU-B", "{oops", tenant(m));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_code(r), "invalid_json");
  EXPECT_EQ(get_stock(m, "SKU-B")["on_hand"], 2);  // nothing was lost

  r = client().get(stack().api + "/v1/stock/SKU-B", tenant(new_merchant()));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(error_code(r), "not_found");
  r = client().get(stack().api + "/v1/stock/NOPE", tenant(m));
  EXPECT_EQ(r.status, 404);
  r = client().get(stack().api + "/v1/stock/SKU-B");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_code(r), "unauthenticated");
}

TEST(InventoryCommands, DuplicateReserveStockMakesOneReservation) {
  const auto m = new_merchant();
  ASSERT_EQ(put_stock(m, "SKU-D", {{"on_hand", 10}}).status, 200);
  ASSERT_EQ(put_stock(m, "SKU-D", {{"on_hand", 10}, {"location", "annex"}}).status, 200);
  const auto order = commerce::core::uuid_v7();
  const auto first = reserve(m, order, {{"SKU-D", 12}});
  // The same message twice (a redelivery) and a second command for the same order.
  send({first, first, reserve(m, order, {{"SKU-D", 1}})});
  send({release(m, order)});
  // One order's events share a partition, so once StockReleased is in, everything before is.
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("inventory.StockReleased", order) == 1; }, 60s));
  EXPECT_EQ(stack().events->count("inventory.StockReserved", order), 1u);
  EXPECT_EQ(stack().events->count("inventory.StockReservationFailed", order), 0u);
  const auto reserved = stack().events->about("order_id", order);
  ASSERT_FALSE(reserved.empty());
  EXPECT_EQ(reserved[0].key, order);
  EXPECT_EQ(reserved[0].envelope.type, "inventory.StockReserved");
  EXPECT_EQ(reserved[0].envelope.causation_id, first.id);
  EXPECT_EQ(reserved[0].envelope.payload["lines"],
            json::parse(R"([{"sku":"SKU-D","quantity":10,"location":"main"},
                            {"sku":"SKU-D","quantity":2,"location":"annex"}])"));
  EXPECT_EQ(query("SELECT count(*) FROM inventory.reservations WHERE order_id = '" + order + "'"),
            1);
  const auto view = get_stock(m, "SKU-D");
  EXPECT_EQ(view["on_hand"], 20);
  EXPECT_EQ(view["reserved"], 0);  // released again
}

TEST(InventoryCommands, ShortOrderIsRejectedWithShortagesAndHoldsNothing) {
  const auto m = new_merchant();
  ASSERT_EQ(put_stock(m, "SKU-S1", {{"on_hand", 5}}).status, 200);
  ASSERT_EQ(put_stock(m, "SKU-S2", {{"on_hand", 1}}).status, 200);
  const auto order = commerce::core::uuid_v7();
  send({reserve(m, order, {{"SKU-S1", 2}, {"SKU-S2", 3}, {"SKU-NONE", 1}})});
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("inventory.StockReservationFailed", order) == 1; }, 60s));
  const auto failed = stack().events->about("order_id", order).at(0).envelope.payload;
  EXPECT_EQ(failed["reason"], "out_of_stock");
  EXPECT_EQ(failed["shortages"], json::parse(R"([{"sku":"SKU-S2","requested":3,"available":1},
                            {"sku":"SKU-NONE","requested":1,"available":0}])"));
  EXPECT_EQ(get_stock(m, "SKU-S1")["reserved"], 0);
  EXPECT_EQ(query("SELECT count(*) FROM inventory.reservations WHERE order_id = '" + order +
                  "' AND status = 'rejected'"),
            1);
}

TEST(InventoryCommands, ReleaseBeforeReserveLeavesATombstone) {
  const auto m = new_merchant();
  ASSERT_EQ(put_stock(m, "SKU-T", {{"on_hand", 3}}).status, 200);
  const auto order = commerce::core::uuid_v7();
  send({release(m, order)});
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("inventory.StockReleased", order) == 1; }, 60s));
  // A late ReserveStock, then a marker order on the same partition: once the marker is
  // handled, so is the late command.
  const auto marker = commerce::core::uuid_v7();
  send({reserve(m, order, {{"SKU-T", 1}}), reserve(m, marker, {{"SKU-T", 1}})}, order);
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return stack().events->count("inventory.StockReserved", marker) == 1; }, 60s));
  EXPECT_EQ(query("SELECT count(*) FROM inventory.reservations WHERE order_id = '" + order +
                  "' AND status = 'released'"),
            1);
  EXPECT_EQ(
      query("SELECT count(*) FROM inventory.reservation_lines WHERE order_id = '" + order + "'"),
      0);
  EXPECT_EQ(get_stock(m, "SKU-T")["reserved"], 1);  // the marker's unit only
  EXPECT_EQ(stack().events->count("inventory.StockReserved", order), 0u);
}

TEST(InventoryCommands, TwoHundredOrdersForFiftyUnits) {
  const auto m = new_merchant();
  ASSERT_EQ(put_stock(m, "SKU-LAST", {{"on_hand", 50}}).status, 200);
  std::vector<std::string> orders;
  std::vector<Envelope> commands;
  for (int i = 0; i < 200; ++i) {
    orders.push_back(commerce::core::uuid_v7());
    commands.push_back(reserve(m, orders.back(), {{"SKU-LAST", 1}}));
  }
  send(commands);
  std::size_t reserved = 0, failed = 0;
  std::vector<std::string> winners;
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        reserved = failed = 0;
        winners.clear();
        for (const auto& o : orders) {
          const auto r = stack().events->count("inventory.StockReserved", o);
          reserved += r;
          failed += stack().events->count("inventory.StockReservationFailed", o);
          if (r) winners.push_back(o);
        }
        return reserved + failed >= 200;
      },
      120s))
      << reserved << " reserved, " << failed << " failed";
  EXPECT_EQ(reserved, 50u);
  EXPECT_EQ(failed, 150u);
  auto view = get_stock(m, "SKU-LAST");
  EXPECT_EQ(view["on_hand"], 50);
  EXPECT_EQ(view["reserved"], 50);
  EXPECT_EQ(view["available"], 0);
  EXPECT_EQ(query("SELECT count(*) FROM inventory.reservations WHERE merchant_id = '" + m +
                  "' AND status = 'reserved'"),
            50);
  // The level is announced once per batch, as the batch leaves it: the last announcement (one
  // key, so one partition, in order) is the level now, and 200 commands sent at once are decided
  // in far fewer batches than the 50 reservations they make.
  const auto levels = [&] {
    return stack().events->matching([&](const commerce::stack::ReceivedEvent& e) {
      return e.envelope.type == "inventory.StockLevelChanged" && e.envelope.merchant_id == m &&
             e.key == "SKU-LAST";
    });
  };
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        const auto seen = levels();
        return !seen.empty() && seen.back().envelope.payload["reserved"] == 50;
      },
      30s));
  const auto announced = levels();
  EXPECT_LT(announced.size(), 50u);
  for (const auto& e : announced) {
    EXPECT_EQ(e.envelope.payload["on_hand"], 50);
    EXPECT_EQ(e.envelope.payload["available"], 50 - e.envelope.payload["reserved"].get<int>());
  }

  // Releasing the winners gives everything back.
  std::vector<Envelope> releases;
  for (const auto& o : winners) releases.push_back(release(m, o));
  send(releases);
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] {
        std::size_t n = 0;
        for (const auto& o : winners) n += stack().events->count("inventory.StockReleased", o);
        return n == winners.size();
      },
      120s));
  view = get_stock(m, "SKU-LAST");
  EXPECT_EQ(view["reserved"], 0);
  EXPECT_EQ(view["available"], 50);
  EXPECT_EQ(query("SELECT count(*) FROM inventory.movements WHERE merchant_id = '" + m +
                  "' AND delta_reserved <> 0"),
            100);
}

TEST(InventoryCommands, OneBatchOfTwoMerchantsKeepsTheirStockApart) {
  // Both merchants name their SKU alike; their orders interleave on one partition, so they are
  // decided in one batch on one locked read of both merchants' levels.
  const auto a = new_merchant();
  const auto b = new_merchant();
  ASSERT_EQ(put_stock(a, "SKU-SHARED", {{"on_hand", 3}}).status, 200);
  ASSERT_EQ(put_stock(a, "SKU-SHARED", {{"on_hand", 2}, {"location", "annex"}}).status, 200);
  ASSERT_EQ(put_stock(b, "SKU-SHARED", {{"on_hand", 4}}).status, 200);
  std::vector<std::string> a_orders, b_orders;
  std::vector<Envelope> commands;
  for (int i = 0; i < 6; ++i) {
    a_orders.push_back(commerce::core::uuid_v7());
    commands.push_back(reserve(a, a_orders.back(), {{"SKU-SHARED", 2}}));
    b_orders.push_back(commerce::core::uuid_v7());
    commands.push_back(reserve(b, b_orders.back(), {{"SKU-SHARED", 1}}));
  }
  send(commands, "one-partition");
  const auto answered = [&](const std::vector<std::string>& orders) {
    std::size_t n = 0;
    for (const auto& o : orders) {
      n += stack().events->count("inventory.StockReserved", o) +
           stack().events->count("inventory.StockReservationFailed", o);
    }
    return n;
  };
  ASSERT_TRUE(commerce::stack::wait_until(
      [&] { return answered(a_orders) == 6 && answered(b_orders) == 6; }, 60s));
  const auto reserved = [&](const std::vector<std::string>& orders) {
    std::size_t n = 0;
    for (const auto& o : orders) n += stack().events->count("inventory.StockReserved", o);
    return n;
  };
  // a: 5 units in two locations, 2 per order: two orders (the second split across locations).
  EXPECT_EQ(reserved(a_orders), 2u);
  EXPECT_EQ(reserved(b_orders), 4u);
  EXPECT_EQ(get_stock(a, "SKU-SHARED")["reserved"], 4);
  EXPECT_EQ(get_stock(b, "SKU-SHARED")["reserved"], 4);
  EXPECT_EQ(get_stock(b, "SKU-SHARED")["available"], 0);
  // The ledger explains every unit held: its reserved deltas add up to the levels.
  EXPECT_EQ(query("SELECT coalesce(sum(delta_reserved), 0) FROM inventory.movements WHERE "
                  "merchant_id = '" +
                  a + "'"),
            4);
  EXPECT_EQ(
      query("SELECT count(*) FROM inventory.reservation_lines WHERE merchant_id = '" + b + "'"), 4);
}

}  // namespace
