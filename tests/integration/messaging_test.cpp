// Delivery guarantees seen from outside: redelivered and duplicated commands, poison messages,
// and many orders racing for the last units of one SKU.
#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/kafka.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/core/ids.hpp"
#include "fleet_fixture.hpp"

namespace commerce::integration {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class Messaging : public FleetTest {
 protected:
  void produce(const std::string& topic, const std::string& key,
               const std::vector<std::string>& values) {
    bus::Producer producer(bus::BusConfig{brokers(), "integration-test", {}});
    std::vector<bus::OutgoingMessage> messages;
    for (const auto& v : values) messages.push_back({topic, key, v, {}});
    std::string error;
    ASSERT_TRUE(producer.produce_and_wait(messages, 20s, &error)) << error;
  }
};

TEST_F(Messaging, ACommandDeliveredTwiceOrResentTakesEffectOnce) {
  const auto sku = add_product("BOLT", 100, 100);
  const std::string order_id = core::uuid_v7();
  const std::string sentinel_id = core::uuid_v7();

  const json reserve = {{"order_id", order_id}, {"lines", {{{"sku", sku}, {"quantity", 4}}}}};
  const auto original = bus::make_envelope("inventory.ReserveStock", merchant_.id, reserve);
  const auto resent = bus::make_envelope("inventory.ReserveStock", merchant_.id, reserve);
  const auto sentinel =
      bus::make_envelope("inventory.ReserveStock", merchant_.id,
                         {{"order_id", sentinel_id}, {"lines", {{{"sku", sku}, {"quantity", 1}}}}});
  // Same key, so the sentinel is handled after the copies: once it took effect, so did they.
  produce(bus::topics::commands("inventory"), order_id,
          {bus::to_json_string(original), bus::to_json_string(original),
           bus::to_json_string(resent), bus::to_json_string(sentinel)});
  EXPECT_EQ(wait_for_count([&] { return rows("inventory.reservations", sentinel_id); }, 1), 1);
  EXPECT_EQ(rows("inventory.reservations", order_id), 1);
  const json level = stock(sku);
  EXPECT_EQ(level.at("reserved").get<std::int64_t>(), 5) << level.dump();
  EXPECT_EQ(level.at("available").get<std::int64_t>(), 95) << level.dump();

  const json authorize = {{"order_id", order_id},
                          {"amount", {{"amount_minor", 400}, {"currency", "EUR"}}},
                          {"card_token", "tok_visa"}};
  const auto auth_original =
      bus::make_envelope("payment.AuthorizePayment", merchant_.id, authorize);
  const auto auth_resent = bus::make_envelope("payment.AuthorizePayment", merchant_.id, authorize);
  json sentinel_payment = authorize;
  sentinel_payment["order_id"] = sentinel_id;
  const auto auth_sentinel =
      bus::make_envelope("payment.AuthorizePayment", merchant_.id, sentinel_payment);
  produce(bus::topics::commands("payment"), order_id,
          {bus::to_json_string(auth_original), bus::to_json_string(auth_original),
           bus::to_json_string(auth_resent), bus::to_json_string(auth_sentinel)});
  EXPECT_EQ(wait_for_count([&] { return rows("payment.authorizations", sentinel_id); }, 1), 1);
  EXPECT_EQ(rows("payment.authorizations", order_id), 1);
}

TEST_F(Messaging, PoisonMessagesGoToTheDeadLetterTopicAndThePartitionKeepsFlowing) {
  const auto sku = add_product("NUT", 50, 10);
  const std::string key = core::uuid_v7();  // one key: one partition for all three messages
  const std::string valid_order = key;
  json bad_schema = bus::to_json(
      bus::make_envelope("inventory.ReserveStock", merchant_.id, {{"order_id", core::uuid_v7()}}));
  bad_schema["payload"]["unexpected"] = true;  // no lines, an unknown field
  const auto valid =
      bus::make_envelope("inventory.ReserveStock", merchant_.id,
                         {{"order_id", valid_order}, {"lines", {{{"sku", sku}, {"quantity", 2}}}}});
  const std::string not_json = "this is not JSON {" + key;
  produce(bus::topics::commands("inventory"), key,
          {not_json, bad_schema.dump(), bus::to_json_string(valid)});

  // The valid command behind the two poison messages is handled.
  EXPECT_EQ(wait_for_count([&] { return rows("inventory.reservations", valid_order); }, 1), 1);
  EXPECT_EQ(stock(sku).at("reserved").get<std::int64_t>(), 2);

  // Both poison messages are on the dead-letter topic with the error.
  std::mutex mutex;
  std::vector<bus::Message> dead;
  bus::Producer unused(bus::BusConfig{brokers(), "integration-dlq-reader", {}});
  bus::ConsumerOptions options;
  options.group = "integration-dlq-reader-" + core::random_hex(8);
  options.topics = {bus::topics::dlq("inventory")};
  options.dead_letter_topic = "integration.dlq-reader.dlq";  // required; the reader never throws
  bus::Consumer reader(
      bus::BusConfig{
          brokers(),
          "integration-dlq-reader",
          {{"auto.offset.reset", "earliest"}, {"topic.metadata.refresh.interval.ms", "500"}}},
      options,
      [&](std::span<const bus::Message> batch) {
        std::lock_guard lock(mutex);
        for (const auto& m : batch)
          if (m.key == key) dead.push_back(m);
      },
      unused);
  reader.start();
  const bool both = stack::wait_until(
      [&] {
        std::lock_guard lock(mutex);
        return dead.size() >= 2;
      },
      30s);
  reader.stop();
  ASSERT_TRUE(both) << "dead letters seen: " << dead.size();
  std::set<std::string> values;
  for (const auto& m : dead) {
    values.insert(m.value);
    const auto error = std::find_if(m.headers.begin(), m.headers.end(),
                                    [](const auto& h) { return h.first == bus::kDlqError; });
    ASSERT_NE(error, m.headers.end()) << "no " << bus::kDlqError << " header on " << m.value;
    EXPECT_FALSE(error->second.empty());
    const auto topic = std::find_if(m.headers.begin(), m.headers.end(),
                                    [](const auto& h) { return h.first == bus::kDlqTopic; });
    ASSERT_NE(topic, m.headers.end());
    EXPECT_EQ(topic->second, bus::topics::commands("inventory"));
  }
  EXPECT_EQ(values.count(not_json), 1u);
  EXPECT_EQ(values.count(bad_schema.dump()), 1u) << "bad-schema message not dead-lettered";
  EXPECT_EQ(dead.size(), 2u);
}

TEST_F(Messaging, TwoHundredOrdersRaceForTheLastFiftyUnits) {
  const auto sku = add_product("LAST", 500, 50);
  constexpr int kOrders = 200;

  // Watch the level while the orders race: it must never go below zero.
  std::atomic<bool> racing{true};
  std::atomic<std::int64_t> lowest_available{50}, highest_reserved{0}, samples{0};
  std::thread watcher([&] {
    while (racing) {
      try {
        const json level = stock(sku);
        lowest_available =
            std::min<std::int64_t>(lowest_available, level.at("available").get<std::int64_t>());
        highest_reserved =
            std::max<std::int64_t>(highest_reserved, level.at("reserved").get<std::int64_t>());
        ++samples;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(10ms);
    }
  });

  std::atomic<int> next{0}, failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&] {
      for (int i = next++; i < kOrders; i = next++) {
        try {
          place({{sku, 1}});
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_EQ(failures, 0);
  const bool ended = stack::wait_until(
      [&] { return scenario::all_sagas_ended(admin_url(), merchant_.id); }, 120s, 100ms);
  racing = false;
  watcher.join();
  ASSERT_TRUE(ended) << "sagas still open after 120 s";

  const auto outcome = scenario::count_outcomes(admin_url(), merchant_.id);
  EXPECT_EQ(outcome.placed, kOrders);
  EXPECT_EQ(outcome.confirmed, 50);
  EXPECT_EQ(outcome.cancelled, 150);
  std::int64_t out_of_stock = 0;
  for (const auto& [reason, n] : outcome.cancel_reasons)
    if (reason.find("out_of_stock") != std::string::npos) out_of_stock += n;
  EXPECT_EQ(out_of_stock, 150);
  EXPECT_EQ(outcome.duplicate_effects(), 0);

  const json level = stock(sku);
  EXPECT_EQ(level.at("available").get<std::int64_t>(), 0) << level.dump();
  EXPECT_EQ(level.at("on_hand").get<std::int64_t>(), 50);
  EXPECT_EQ(level.at("reserved").get<std::int64_t>(), 50);
  EXPECT_GT(samples, 0);
  EXPECT_GE(lowest_available, 0);
  EXPECT_LE(highest_reserved, 50);
}

}  // namespace
}  // namespace commerce::integration
