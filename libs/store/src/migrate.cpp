// Schema migrations and per-agent role provisioning.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "commerce/core/ids.hpp"
#include "commerce/store/store.hpp"

namespace fs = std::filesystem;

namespace commerce::store {
namespace {

// Serialises migrations of one role's schema across instances (advisory locks are per database,
// so the key includes the role).
constexpr const char* kMigrationLock =
    "SELECT pg_advisory_xact_lock(hashtext('commerce.migrate.' || current_user))";

constexpr const char* kLibraryTables = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS outbox (
  id         bigserial PRIMARY KEY,
  topic      text NOT NULL,
  key        text NOT NULL,
  message_id text NOT NULL,
  payload    text NOT NULL,
  headers    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS inbox (
  message_id text PRIMARY KEY,
  handled_at timestamptz NOT NULL DEFAULT now()
);
)sql";

struct MigrationFile {
  int version;
  std::string name;
  fs::path path;
};

std::vector<MigrationFile> list_migrations(const std::string& directory) {
  if (!fs::is_directory(directory)) {
    throw std::runtime_error("migrations directory not found: " + directory);
  }
  static const std::regex pattern(R"(^(\d+)_.+\.sql$)");
  std::vector<MigrationFile> files;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    std::smatch m;
    if (!std::regex_match(name, m, pattern)) continue;
    files.push_back({std::stoi(m[1].str()), name, entry.path()});
  }
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < files.size(); ++i) {
    if (files[i].version == files[i - 1].version) {
      throw std::runtime_error("two migrations with version " + std::to_string(files[i].version) +
                               ": " + files[i - 1].name + " and " + files[i].name);
    }
  }
  return files;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read migration " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string percent_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string role_for(const std::string& agent) {
  std::string role = agent;
  std::replace(role.begin(), role.end(), '-', '_');
  static const std::regex valid("^[a-z_][a-z0-9_]{0,62}$");
  if (!std::regex_match(role, valid)) {
    throw std::invalid_argument("invalid agent name for a database role: '" + agent + "'");
  }
  return role;
}

}  // namespace

void migrate(const std::string& url, const std::string& directory) {
  const auto files = list_migrations(directory);
  pqxx::connection conn(url);
  {
    pqxx::work tx(conn);
    tx.exec(kMigrationLock);
    tx.exec(kLibraryTables);
    tx.commit();
  }
  for (const auto& file : files) {
    const std::string sql = read_file(file.path);
    const std::string checksum = core::sha256_hex(sql);
    pqxx::work tx(conn);
    tx.exec(kMigrationLock);
    auto applied =
        exec(tx, "SELECT checksum FROM schema_migrations WHERE version = $1", file.version);
    if (!applied.empty()) {
      if (applied[0][0].as<std::string>() != checksum) {
        throw std::runtime_error("migration " + file.name +
                                 " was changed after it was applied (checksum differs); add a "
                                 "new migration instead");
      }
      continue;  // tx rolls back: nothing to do
    }
    try {
      tx.exec(sql);
    } catch (const pqxx::sql_error& e) {
      throw std::runtime_error("migration " + file.name + " failed: " + e.what());
    }
    exec(tx, "INSERT INTO schema_migrations(version, name, checksum) VALUES ($1, $2, $3)",
         file.version, file.name, checksum);
    tx.commit();
  }
}

std::string provision_agent(const std::string& admin_url, const std::string& agent,
                            const std::string& password) {
  const std::string role = role_for(agent);
  pqxx::connection conn(admin_url);
  for (int attempt = 0;; ++attempt) {
    try {
      pqxx::work tx(conn);
      // Concurrent provisioning of the same role (several instances starting at once) would
      // race between the existence check and CREATE ROLE.
      tx.exec("SELECT pg_advisory_xact_lock(hashtext('commerce.provision'))");
      const std::string q_role = tx.quote_name(role);
      const bool exists = !exec(tx, "SELECT 1 FROM pg_roles WHERE rolname = $1", role).empty();
      tx.exec((exists ? "ALTER ROLE " : "CREATE ROLE ") + q_role + " LOGIN PASSWORD " +
              tx.quote(password));
      tx.exec("CREATE SCHEMA IF NOT EXISTS " + q_role + " AUTHORIZATION " + q_role);
      tx.exec("REVOKE ALL ON SCHEMA public FROM " + q_role);
      tx.exec("REVOKE ALL ON SCHEMA public FROM PUBLIC");
      tx.commit();
      break;
    } catch (const pqxx::sql_error& e) {
      // duplicate_object / unique_violation: someone without our lock created it meanwhile.
      const std::string& state = e.sqlstate();
      if (attempt < 3 && (state == "42710" || state == "23505" || state == "42P06")) continue;
      throw;
    }
  }
  const std::string port = conn.port() ? conn.port() : "5432";
  return postgres_url(role, password, conn.hostname() ? conn.hostname() : "", port,
                      conn.dbname() ? conn.dbname() : "postgres");
}

std::string postgres_url(const std::string& user, const std::string& password,
                         const std::string& host, const std::string& port,
                         const std::string& dbname) {
  // An IPv6 literal needs brackets; a socket directory is percent-encoded.
  const std::string host_part = host.empty()                          ? std::string("localhost")
                                : host.find(':') != std::string::npos ? "[" + host + "]"
                                                                      : percent_encode(host);
  return "postgresql://" + percent_encode(user) +
         (password.empty() ? "" : ":" + percent_encode(password)) + "@" + host_part + ":" + port +
         "/" + percent_encode(dbname);
}

}  // namespace commerce::store
