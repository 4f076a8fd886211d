#include <gtest/gtest.h>

#include <algorithm>

#include "store_fixture.hpp"

namespace commerce::store {
namespace {

using testing::provision_migrated;
using testing::query_value;

// Listens on the channel of the connection's role, as the relay does.
std::string outbox_channel(pqxx::connection& c) {
  pqxx::nontransaction tx(c);
  return tx.exec1(std::string("SELECT ") + kOutboxChannelSql)[0].as<std::string>();
}

class Wakeup : public pqxx::notification_receiver {
 public:
  explicit Wakeup(pqxx::connection& c) : pqxx::notification_receiver(c, outbox_channel(c)) {}
  void operator()(const std::string&, int) override { ++count; }
  int count = 0;
};

TEST(AppendOutbox, WritesTheEnvelopeWithHeadersAndNotifiesOnCommit) {
  auto db = provision_migrated("outbox");
  pqxx::connection listener_conn(db.url);
  Wakeup wakeup(listener_conn);

  auto envelope = bus::make_envelope("orders.OrderPlaced", "m-1", {{"order_id", "o-1"}});
  ConnectionPool pool(db.url, 1);
  pool.transact([&](pqxx::work& tx) {
    append_outbox(tx, "commerce.orders.events", "o-1", envelope);
    append_outbox(tx, "commerce.orders.events", "o-1", envelope);
  });
  // Both rows, one notification (PostgreSQL folds identical ones in a transaction).
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM outbox"), 2);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (wakeup.count == 0 && std::chrono::steady_clock::now() < deadline) {
    listener_conn.await_notification(0, 100000);
  }
  EXPECT_EQ(wakeup.count, 1);

  pqxx::connection c(db.url);
  pqxx::nontransaction tx(c);
  auto row = tx.exec1(
      "SELECT topic, key, message_id, payload, headers->>'message_id', headers->>'type', "
      "headers->>'traceparent' FROM outbox ORDER BY id LIMIT 1");
  EXPECT_EQ(row[0].as<std::string>(), "commerce.orders.events");
  EXPECT_EQ(row[1].as<std::string>(), "o-1");
  EXPECT_EQ(row[2].as<std::string>(), envelope.id);
  auto parsed = bus::parse_envelope(row[3].as<std::string>());
  EXPECT_EQ(parsed.id, envelope.id);
  EXPECT_EQ(parsed.payload, envelope.payload);
  EXPECT_EQ(row[4].as<std::string>(), envelope.id);
  EXPECT_EQ(row[5].as<std::string>(), "orders.OrderPlaced");
  EXPECT_EQ(row[6].as<std::string>(), envelope.traceparent);
}

TEST(AppendOutbox, RolledBackTransactionLeavesNoRow) {
  auto db = provision_migrated("outbox");
  ConnectionPool pool(db.url, 1);
  auto envelope = bus::make_envelope("orders.OrderPlaced", "m-1", {{"order_id", "o-1"}});
  EXPECT_THROW(pool.transact([&](pqxx::work& tx) {
    append_outbox(tx, "t", "k", envelope);
    throw std::runtime_error("handler failed");
  }),
               std::runtime_error);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM outbox"), 0);
}

TEST(AppendOutbox, ABatchKeepsItsOrderAndNotifiesOnce) {
  auto db = provision_migrated("outbox_batch");
  pqxx::connection listener_conn(db.url);
  Wakeup wakeup(listener_conn);
  std::vector<OutboxEntry> entries;
  for (int i = 0; i < 5; ++i) {
    entries.push_back({"t" + std::to_string(i % 2), "k\"" + std::to_string(i),
                       bus::make_envelope("orders.OrderPlaced", "m-1",
                                          {{"order_id", "o-" + std::to_string(i)},
                                           {"note", "quotes \" and \\ survive, {a,b} ü €"}})});
  }
  ConnectionPool pool(db.url, 1);
  pool.transact([&](pqxx::work& tx) { append_outbox(tx, entries); });

  pqxx::connection c(db.url);
  pqxx::nontransaction tx(c);
  auto rows =
      tx.exec("SELECT topic, key, message_id, payload, headers->>'type' FROM outbox ORDER BY id");
  ASSERT_EQ(rows.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(rows[i][0].as<std::string>(), entries[i].topic);
    EXPECT_EQ(rows[i][1].as<std::string>(), entries[i].key);
    EXPECT_EQ(rows[i][2].as<std::string>(), entries[i].envelope.id);
    EXPECT_EQ(bus::parse_envelope(rows[i][3].as<std::string>()).payload,
              entries[i].envelope.payload);
    EXPECT_EQ(rows[i][4].as<std::string>(), "orders.OrderPlaced");
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (wakeup.count == 0 && std::chrono::steady_clock::now() < deadline) {
    listener_conn.await_notification(0, 100000);
  }
  EXPECT_EQ(wakeup.count, 1);
}

TEST(ClaimInbox, ABatchClaimReturnsOnlyTheNewIdsOnce) {
  auto db = provision_migrated("inbox_batch");
  ConnectionPool pool(db.url, 1);
  pool.transact([&](pqxx::work& tx) { EXPECT_TRUE(claim_inbox(tx, "seen")); });
  std::vector<std::string> claimed;
  const std::vector<std::string> ids{"a", "seen", "b", "a", "{\"odd\", id}"};
  pool.transact([&](pqxx::work& tx) { claimed = claim_inbox(tx, ids); });
  std::sort(claimed.begin(), claimed.end());
  EXPECT_EQ(claimed, (std::vector<std::string>{"a", "b", "{\"odd\", id}"}));
  pool.transact([&](pqxx::work& tx) { claimed = claim_inbox(tx, ids); });
  EXPECT_TRUE(claimed.empty());
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 4);
}

TEST(ClaimInbox, FirstClaimWinsAndARollbackClaimsNothing) {
  auto db = provision_migrated("inbox");
  ConnectionPool pool(db.url, 2);
  EXPECT_THROW(pool.transact([&](pqxx::work& tx) {
    EXPECT_TRUE(claim_inbox(tx, "msg-1"));
    throw std::runtime_error("effect failed");
  }),
               std::runtime_error);
  bool first = false, second = true, again_in_same_tx = true;
  pool.transact([&](pqxx::work& tx) {
    first = claim_inbox(tx, "msg-1");
    again_in_same_tx = claim_inbox(tx, "msg-1");
  });
  pool.transact([&](pqxx::work& tx) { second = claim_inbox(tx, "msg-1"); });
  EXPECT_TRUE(first);
  EXPECT_FALSE(again_in_same_tx);
  EXPECT_FALSE(second);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 1);
}

}  // namespace
}  // namespace commerce::store
