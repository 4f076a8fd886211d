#include <gtest/gtest.h>

#include <algorithm>

#include "commerce/core/ids.hpp"
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

TEST(PruneInbox, ForgetsOnlyUuidV7IdsMadeAndHandledBeforeTheRetention) {
  using namespace std::chrono;
  auto db = provision_migrated("inbox_prune");
  ConnectionPool pool(db.url, 1);
  const auto now = system_clock::now();
  // An id as the fleet makes them, `days` ago (the floor of that millisecond, with a suffix).
  auto made = [&](int days, char last) {
    auto id = commerce::core::uuid_v7_floor(now - hours(24 * days));
    id.back() = last;
    return id;
  };
  const std::vector<std::string> old_ids{made(30, '1'), made(30, '2'), made(20, '3')};
  const auto handled_late = made(30, '4');  // made long ago, handled yesterday
  const auto recent = made(1, '5');
  const auto not_v7 = std::string("00000000-0000-4000-8000-000000000006");  // a UUIDv4 shape
  pool.transact([&](pqxx::work& tx) {
    std::vector<std::string> all = old_ids;
    for (const auto& id : {handled_late, recent, not_v7}) all.push_back(id);
    EXPECT_EQ(claim_inbox(tx, all).size(), all.size());
    tx.exec0("UPDATE inbox SET handled_at = now() - interval '30 days' WHERE message_id <> " +
             tx.quote(handled_late) + " AND message_id <> " + tx.quote(recent));
    tx.exec0("UPDATE inbox SET handled_at = now() - interval '1 day' WHERE message_id IN (" +
             tx.quote(handled_late) + ", " + tx.quote(recent) + ")");
  });
  const auto retention = duration_cast<seconds>(hours(24 * 14));
  std::size_t pruned = 0;
  pool.transact([&](pqxx::work& tx) { pruned = prune_inbox(tx, retention, 2); });
  EXPECT_EQ(pruned, 2u) << "at most the limit in one statement";
  pool.transact([&](pqxx::work& tx) { pruned = prune_inbox(tx, retention, 2); });
  EXPECT_EQ(pruned, 1u);
  pool.transact([&](pqxx::work& tx) { pruned = prune_inbox(tx, retention, 2); });
  EXPECT_EQ(pruned, 0u);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 3);
  // What is kept still deduplicates; what was forgotten would be claimed again.
  pool.transact([&](pqxx::work& tx) {
    EXPECT_FALSE(claim_inbox(tx, handled_late));
    EXPECT_FALSE(claim_inbox(tx, recent));
    EXPECT_FALSE(claim_inbox(tx, not_v7));
    EXPECT_TRUE(claim_inbox(tx, old_ids[0]));
  });
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
