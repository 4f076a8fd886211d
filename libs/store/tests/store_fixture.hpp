#pragma once
// Each test gets its own agent role and schema on the shared embedded cluster.
#include <filesystem>
#include <fstream>
#include <string>

#include "commerce/stack/stack.hpp"
#include "commerce/store/store.hpp"

namespace commerce::store::testing {

struct AgentDb {
  std::string role;
  std::string url;
};

inline std::string admin_url() { return stack::EmbeddedPostgres::shared().admin_url(); }

inline AgentDb provision(const std::string& prefix) {
  auto role = stack::unique_name(prefix);
  auto url = provision_agent(admin_url(), role, "secret-" + role);
  return {role, url};
}

// A folder under /tmp removed when the object goes.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() / stack::unique_name("store_test");
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& content) const {
    auto p = path / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream(p) << content;
  }
  std::string str() const { return path.string(); }
};

// An agent database with the library's tables (outbox, inbox) in place.
inline AgentDb provision_migrated(const std::string& prefix) {
  auto db = provision(prefix);
  TempDir empty;
  migrate(db.url, empty.str());
  return db;
}

template <class T = long>
T query_value(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<T>();
}

}  // namespace commerce::store::testing
