#include <gtest/gtest.h>

#include <thread>

#include "commerce/metrics/registry.hpp"
#include "store_fixture.hpp"

namespace commerce::store {
namespace {

using testing::provision;
using testing::query_value;

TEST(ConnectionPool, TransactCommits) {
  auto db = provision("pool");
  ConnectionPool pool(db.url, 2);
  pool.transact([](pqxx::work& tx) {
    tx.exec0("CREATE TABLE item(id int PRIMARY KEY)");
    tx.exec0("INSERT INTO item VALUES (1), (2)");
  });
  long n = 0;
  pool.read([&](pqxx::work& tx) { n = tx.exec1("SELECT count(*) FROM item")[0].as<long>(); });
  EXPECT_EQ(n, 2);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_TRUE(pool.reachable());
}

TEST(ConnectionPool, ExceptionFromWorkRollsBackAndPropagatesUnchanged) {
  auto db = provision("pool");
  ConnectionPool pool(db.url, 1);
  pool.transact([](pqxx::work& tx) { tx.exec0("CREATE TABLE item(id int PRIMARY KEY)"); });
  EXPECT_THROW(pool.transact([](pqxx::work& tx) {
    tx.exec0("INSERT INTO item VALUES (1)");
    throw std::logic_error("business rule");
  }),
               std::logic_error);
  EXPECT_THROW(pool.transact([](pqxx::work& tx) {
    tx.exec0("INSERT INTO item VALUES (1), (1)");  // unique violation: not transient
  }),
               pqxx::unique_violation);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM item"), 0);
  // The connection went back to the pool usable.
  pool.transact([](pqxx::work& tx) { tx.exec0("INSERT INTO item VALUES (3)"); });
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM item"), 1);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(ConnectionPool, ReadIsReadOnly) {
  auto db = provision("pool");
  ConnectionPool pool(db.url, 1);
  pool.transact([](pqxx::work& tx) { tx.exec0("CREATE TABLE item(id int)"); });
  EXPECT_THROW(pool.read([](pqxx::work& tx) { tx.exec0("INSERT INTO item VALUES (1)"); }),
               pqxx::sql_error);
}

TEST(ConnectionPool, AutocommitCommitsEachStatementOnItsOwn) {
  auto db = provision("pool");
  ConnectionPool pool(db.url, 1);
  pool.transact([](pqxx::work& tx) { tx.exec0("CREATE TABLE item(id int PRIMARY KEY)"); });
  // No transaction around the two: the first stays although the second fails.
  EXPECT_THROW(pool.autocommit([](pqxx::transaction_base& tx) {
    tx.exec0("INSERT INTO item VALUES (1)");
    tx.exec0("INSERT INTO item VALUES (1)");
  }),
               pqxx::unique_violation);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM item"), 1);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(ConnectionPool, RetriesASerializationFailure) {
  auto db = provision("pool");
  metrics::Registry registry;
  ConnectionPool pool(db.url, 2, &registry);
  pool.transact([](pqxx::work& tx) {
    tx.exec0("CREATE TABLE counter(id int PRIMARY KEY, n int NOT NULL)");
    tx.exec0("INSERT INTO counter VALUES (1, 0)");
  });
  int attempts = 0;
  pool.transact([&](pqxx::work& tx) {
    ++attempts;
    tx.exec0("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
    tx.exec1("SELECT n FROM counter WHERE id = 1");  // takes the snapshot
    if (attempts == 1) {
      // A concurrent SERIALIZABLE transaction updates the row and commits first.
      pqxx::connection other(db.url);
      pqxx::work o(other);
      o.exec0("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
      o.exec0("UPDATE counter SET n = n + 1 WHERE id = 1");
      o.commit();
    }
    tx.exec0("UPDATE counter SET n = n + 1 WHERE id = 1");  // 40001 on the first attempt
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(query_value(db.url, "SELECT n FROM counter"), 2);
  EXPECT_EQ(registry.counter("db_transaction_retries_total", "").with().value(), 1.0);
}

TEST(ConnectionPool, PersistentConflictBecomesTransientError) {
  auto db = provision("pool");
  ConnectionPool pool(db.url, 1);
  int attempts = 0;
  EXPECT_THROW(pool.transact([&](pqxx::work& tx) {
    ++attempts;
    tx.exec0("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
  }),
               bus::TransientError);
  EXPECT_EQ(attempts, 6);  // the first try and five retries
}

TEST(ConnectionPool, ReplacesABrokenConnectionAndRetries) {
  auto db = provision("pool");
  ConnectionPool pool(db.url, 1);
  pool.transact([](pqxx::work& tx) { tx.exec0("CREATE TABLE item(id int)"); });
  int attempts = 0;
  pool.transact([&](pqxx::work& tx) {
    ++attempts;
    if (attempts == 1) {
      int pid = tx.exec1("SELECT pg_backend_pid()")[0].as<int>();
      pqxx::connection admin(testing::admin_url());
      pqxx::nontransaction a(admin);
      a.exec1("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
    }
    tx.exec0("INSERT INTO item VALUES (1)");
  });
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM item"), 1);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(ConnectionPool, UnreachableDatabaseIsTransient) {
  auto port = stack::free_port();
  ConnectionPool pool(
      "postgresql://nobody@127.0.0.1:" + std::to_string(port) + "/postgres?connect_timeout=2", 2);
  EXPECT_THROW(pool.transact([](pqxx::work&) {}), bus::TransientError);
  EXPECT_FALSE(pool.reachable());
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(ConnectionPool, ExhaustedPoolWaitsThenThrowsTransientError) {
  auto db = provision("pool");
  metrics::Registry registry;
  ConnectionPool pool(db.url, 1, &registry);
  std::mutex m;
  std::condition_variable cv;
  bool holding = false, release = false;
  std::thread holder([&] {
    pool.transact([&](pqxx::work&) {
      std::unique_lock lock(m);
      holding = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    });
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return holding; });
  }
  EXPECT_EQ(pool.in_use(), 1u);
  EXPECT_THROW(pool.transact([](pqxx::work&) {}), bus::TransientError);
  EXPECT_EQ(registry.counter("db_pool_waits_total", "").with().value(), 1.0);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  holder.join();
  pool.transact([](pqxx::work& tx) { tx.exec1("SELECT 1"); });  // the connection came back
}

TEST(ConnectionPool, MetricsExistFromTheStartAndTimeAWaitThatEndsWell) {
  auto db = provision("pool");
  metrics::Registry registry;
  ConnectionPool pool(db.url, 1, &registry);
  const auto text = registry.render();
  EXPECT_NE(text.find("db_pool_connections_max 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_pool_waits_total 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("db_pool_wait_duration_seconds_count 0\n"), std::string::npos) << text;

  std::mutex m;
  std::condition_variable cv;
  bool holding = false, release = false;
  std::thread holder([&] {
    pool.transact([&](pqxx::work&) {
      std::unique_lock lock(m);
      holding = true;
      cv.notify_all();
      cv.wait(lock, [&] { return release; });
    });
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return holding; });
  }
  std::thread waiter([&] { pool.transact([](pqxx::work& tx) { tx.exec1("SELECT 1"); }); });
  // Release only once the waiter is counted as waiting.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (registry.counter("db_pool_waits_total", "").with().value() < 1.0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(registry.counter("db_pool_waits_total", "").with().value(), 1.0);
  {
    std::lock_guard lock(m);
    release = true;
  }
  cv.notify_all();
  holder.join();
  waiter.join();
  EXPECT_EQ(registry.histogram("db_pool_wait_duration_seconds", "").with().snapshot().count, 1u);
  EXPECT_EQ(registry.gauge("db_pool_connections_in_use", "").with().value(), 0.0);
}

TEST(IsTransient, ClassifiesBySqlstate) {
  EXPECT_TRUE(is_transient(pqxx::broken_connection("gone")));
  EXPECT_TRUE(is_transient(pqxx::serialization_failure("40001")));
  EXPECT_TRUE(is_transient(pqxx::deadlock_detected("40P01")));
  EXPECT_TRUE(is_transient(pqxx::sql_error("too many", "", "53300")));
  EXPECT_TRUE(is_transient(pqxx::sql_error("admin shutdown", "", "57P01")));
  EXPECT_TRUE(is_transient(pqxx::sql_error("conn", "", "08006")));
  EXPECT_TRUE(is_transient(pqxx::sql_error("lock", "", "55P03")));
  EXPECT_FALSE(is_transient(pqxx::sql_error("unique", "", "23505")));
  EXPECT_FALSE(is_transient(pqxx::sql_error("syntax", "", "42601")));
  EXPECT_FALSE(is_transient(std::runtime_error("other")));
}

}  // namespace
}  // namespace commerce::store
