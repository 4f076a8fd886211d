#include <gtest/gtest.h>

#include <thread>

#include "store_fixture.hpp"

namespace commerce::store {
namespace {

using testing::provision;
using testing::query_value;
using testing::TempDir;

void write_migrations(const TempDir& dir) {
  dir.write("0001_create_stock.sql", "CREATE TABLE stock(sku text PRIMARY KEY, qty int);");
  dir.write("0002_seed.sql",
            "INSERT INTO stock VALUES ('a', 1);\nINSERT INTO stock VALUES ('b', 2);");
  // Numeric order: 9 before 10 whatever the padding.
  dir.write("9_add_column.sql", "ALTER TABLE stock ADD COLUMN note text;");
  dir.write("0010_use_column.sql", "UPDATE stock SET note = 'seeded';");
  dir.write("README.md", "not a migration");
}

TEST(Migrate, AppliesEachMigrationOnceInOrderAndRecordsIt) {
  auto db = provision("migrate");
  TempDir dir;
  write_migrations(dir);
  migrate(db.url, dir.str());
  migrate(db.url, dir.str());  // nothing new the second time
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM stock"), 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM stock WHERE note = 'seeded'"), 2);
  pqxx::connection c(db.url);
  pqxx::nontransaction tx(c);
  auto r = tx.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0][0].as<int>(), 1);
  EXPECT_EQ(r[0][1].as<std::string>(), "0001_create_stock.sql");
  EXPECT_EQ(r[0][2].as<std::string>().size(), 64u);
  EXPECT_EQ(r[2][0].as<int>(), 9);
  EXPECT_EQ(r[3][0].as<int>(), 10);
}

TEST(Migrate, CreatesTheLibraryTablesInTheAgentsOwnSchema) {
  auto db = provision("migrate");
  TempDir dir;
  migrate(db.url, dir.str());
  pqxx::connection c(testing::admin_url());
  pqxx::nontransaction tx(c);
  auto r = tx.exec_params(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 "
      "ORDER BY table_name",
      db.role);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0][0].as<std::string>(), "inbox");
  EXPECT_EQ(r[1][0].as<std::string>(), "outbox");
  EXPECT_EQ(r[2][0].as<std::string>(), "schema_migrations");
}

TEST(Migrate, RefusesAnAppliedMigrationWhoseChecksumChanged) {
  auto db = provision("migrate");
  TempDir dir;
  write_migrations(dir);
  migrate(db.url, dir.str());
  dir.write("0002_seed.sql", "INSERT INTO stock VALUES ('c', 3);");
  try {
    migrate(db.url, dir.str());
    FAIL() << "expected a checksum error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("0002_seed.sql"), std::string::npos) << e.what();
  }
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM stock"), 2);
}

TEST(Migrate, AFailingMigrationIsNotRecordedAndNamesTheFile) {
  auto db = provision("migrate");
  TempDir dir;
  dir.write("0001_ok.sql", "CREATE TABLE ok(id int);");
  dir.write("0002_broken.sql", "CREATE TABLE broken(id int); SELECT * FROM missing_table;");
  try {
    migrate(db.url, dir.str());
    FAIL() << "expected the migration to fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("0002_broken.sql"), std::string::npos) << e.what();
  }
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM schema_migrations"), 1);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'broken'"), 0);
}

TEST(Migrate, MissingDirectoryThrows) {
  auto db = provision("migrate");
  EXPECT_THROW(migrate(db.url, "/nonexistent/migrations"), std::runtime_error);
}

TEST(Migrate, ConcurrentMigrationsApplyEachFileOnce) {
  auto db = provision("migrate");
  TempDir dir;
  write_migrations(dir);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        migrate(db.url, dir.str());
      } catch (const std::exception& e) {
        ADD_FAILURE() << e.what();
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM stock"), 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM schema_migrations"), 4);
}

TEST(ProvisionAgent, AgentCannotReadAnotherAgentsSchemaNorWritePublic) {
  auto a = provision("orders");
  auto b = provision("payments");
  {
    pqxx::connection c(b.url);
    pqxx::work tx(c);
    tx.exec0("CREATE TABLE secrets(v text)");  // lands in b's own schema
    tx.commit();
  }
  EXPECT_EQ(query_value<std::string>(b.url, "SELECT current_schema()"), b.role);
  pqxx::connection c(a.url);
  {
    pqxx::nontransaction tx(c);
    EXPECT_THROW(tx.exec("SELECT * FROM " + b.role + ".secrets"), pqxx::insufficient_privilege);
  }
  {
    pqxx::nontransaction tx(c);
    EXPECT_THROW(tx.exec("CREATE TABLE public.leak(v text)"), pqxx::insufficient_privilege);
  }
}

TEST(ProvisionAgent, IsIdempotentAndSafeConcurrently) {
  const auto name = stack::unique_name("inventory") + "-agent";  // '-' becomes '_'
  std::vector<std::string> urls(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { urls[i] = provision_agent(testing::admin_url(), name, "pw"); });
  }
  for (auto& t : threads) t.join();
  for (const auto& url : urls) EXPECT_EQ(url, urls[0]);
  const std::string role = name.substr(0, name.size() - 6) + "_agent";
  EXPECT_EQ(urls[0].rfind("postgresql://" + role + ":pw@", 0), 0u) << urls[0];
  EXPECT_EQ(query_value<std::string>(urls[0], "SELECT current_user"), role);
  // The agent reaches the server the way the operator did (here the Unix socket).
  const std::string transport = "SELECT coalesce(inet_server_addr()::text, 'socket')";
  EXPECT_EQ(query_value<std::string>(urls[0], transport),
            query_value<std::string>(testing::admin_url(), transport));
  // Again, with a new password and a key=value admin connection string.
  auto& pg = stack::EmbeddedPostgres::shared();
  auto url = provision_agent(
      "host=127.0.0.1 port=" + std::to_string(pg.port()) + " dbname=postgres user=postgres", name,
      "p@ss word/2");
  EXPECT_EQ(query_value<std::string>(url, "SELECT current_user"), role);
}

TEST(ProvisionAgent, RejectsNamesThatAreNotIdentifiers) {
  EXPECT_THROW(provision_agent(testing::admin_url(), "Robert'); DROP TABLE x; --", "pw"),
               std::invalid_argument);
}

}  // namespace
}  // namespace commerce::store
