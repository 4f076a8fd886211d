// Connection pool and transaction retry policy.
#include <cstdio>
#include <random>
#include <thread>

#include "commerce/log/log.hpp"
#include "commerce/metrics/registry.hpp"
#include "commerce/store/store.hpp"
#include "relay_wake.hpp"

namespace commerce::store {
namespace {

constexpr int kMaxConflictRetries = 5;   // serialization failures and deadlocks
constexpr int kMaxReconnectRetries = 3;  // broken connections
constexpr auto kPoolWait = std::chrono::seconds(5);

bool is_conflict_state(const std::string& state) { return state == "40001" || state == "40P01"; }

void jittered_backoff(int attempt) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const int base = 5 << std::min(attempt, 6);  // 10, 20, 40 ... ms
  std::uniform_int_distribution<int> jitter(base / 2, base);
  std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
}

}  // namespace

bool is_transient(const std::exception& e) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e)) return true;
  // serialization_failure, deadlock_detected, statement_completion_unknown (class 40).
  if (dynamic_cast<const pqxx::transaction_rollback*>(&e)) return true;
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e)) return true;
  if (dynamic_cast<const bus::TransientError*>(&e)) return true;
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string& s = sql->sqlstate();
    return s.rfind("08", 0) == 0 || s == "40001" || s == "40P01" || s == "53300" || s == "57P01" ||
           s == "57P02" || s == "57P03" || s == "55P03";
  }
  return false;
}

ConnectionPool::ConnectionPool(std::string url, std::size_t size, metrics::Registry* metrics)
    : url_(std::move(url)), size_(size == 0 ? 1 : size), metrics_(metrics) {
  if (!metrics_) return;
  // Registered up front, so the series exist (at 0) before the first wait or retry.
  metrics_->gauge("db_pool_connections_max", "Connections the pool may open")
      .with()
      .set(static_cast<double>(size_));
  metrics_->gauge("db_pool_connections_in_use", "Pool connections in use").with();
  metrics_->counter("db_pool_waits_total", "Transactions that waited for a free connection").with();
  metrics_->histogram("db_pool_wait_duration_seconds", "Time spent waiting for a free connection")
      .with();
  metrics_->counter("db_transaction_retries_total", "Transactions retried").with();
  metrics_->histogram("db_transaction_duration_seconds", "Transaction duration including retries")
      .with();
}

ConnectionPool::~ConnectionPool() = default;

std::unique_ptr<pqxx::connection> ConnectionPool::take(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  bool waited = false;
  const auto wait_started = std::chrono::steady_clock::now();
  while (idle_.empty() && open_ >= size_) {
    if (!waited && metrics_) {
      metrics_->counter("db_pool_waits_total", "Transactions that waited for a free connection")
          .with()
          .inc();
    }
    waited = true;
    if (!available_.wait_for(lock, timeout, [&] { return !idle_.empty() || open_ < size_; })) {
      throw bus::TransientError("database pool exhausted (" + std::to_string(size_) +
                                " connections in use)");
    }
  }
  std::unique_ptr<pqxx::connection> conn;
  if (!idle_.empty()) {
    conn = std::move(idle_.back());
    idle_.pop_back();
  } else {
    ++open_;  // reserve the slot, connect outside the lock
    lock.unlock();
    try {
      conn = std::make_unique<pqxx::connection>(url_);
    } catch (const std::exception& e) {
      lock.lock();
      --open_;
      available_.notify_one();
      throw bus::TransientError(std::string("database unreachable: ") + e.what());
    }
    lock.lock();
  }
  ++in_use_;
  if (metrics_) {
    metrics_->gauge("db_pool_connections_in_use", "Pool connections in use")
        .with()
        .set(static_cast<double>(in_use_));
    if (waited) {
      metrics_
          ->histogram("db_pool_wait_duration_seconds", "Time spent waiting for a free connection")
          .with()
          .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - wait_started)
                       .count());
    }
  }
  return conn;
}

void ConnectionPool::give_back(std::unique_ptr<pqxx::connection> c) {
  std::lock_guard lock(mutex_);
  --in_use_;
  if (c && c->is_open()) {
    idle_.push_back(std::move(c));
  } else {
    --open_;  // dropped: a new one is opened on demand
  }
  if (metrics_) {
    metrics_->gauge("db_pool_connections_in_use", "Pool connections in use")
        .with()
        .set(static_cast<double>(in_use_));
  }
  available_.notify_one();
}

void ConnectionPool::drop_idle() {
  std::vector<std::unique_ptr<pqxx::connection>> dropped;
  {
    std::lock_guard lock(mutex_);
    open_ -= idle_.size();
    dropped.swap(idle_);
    available_.notify_all();
  }
}

namespace {

// Wakes the relay of this process when an attempt that appended outbox rows ends: after its
// COMMIT, or after a failure (then the relay finds nothing new, which is harmless).
struct WakeRelayAtEnd {
  ~WakeRelayAtEnd() { detail::wake_marked_relay(); }
};

}  // namespace

void ConnectionPool::transact(const std::function<void(pqxx::work&)>& work) {
  run([&](pqxx::connection& conn) {
    WakeRelayAtEnd wake;  // destroyed after tx
    pqxx::work tx(conn);
    work(tx);
    tx.commit();
  });
}

void ConnectionPool::autocommit(const std::function<void(pqxx::transaction_base&)>& work) {
  run([&](pqxx::connection& conn) {
    WakeRelayAtEnd wake;
    pqxx::nontransaction tx(conn);
    work(tx);
  });
}

void ConnectionPool::run(const std::function<void(pqxx::connection&)>& attempt) {
  const auto started = std::chrono::steady_clock::now();
  int conflicts = 0;
  int reconnects = 0;
  auto count_retry = [&] {
    if (metrics_) {
      metrics_->counter("db_transaction_retries_total", "Transactions retried").with().inc();
    }
  };
  for (;;) {
    auto conn = take(kPoolWait);
    try {
      attempt(*conn);
      give_back(std::move(conn));
      if (metrics_) {
        metrics_
            ->histogram("db_transaction_duration_seconds", "Transaction duration including retries")
            .with()
            .observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      }
      return;
    } catch (const pqxx::broken_connection& e) {
      give_back(nullptr);
      drop_idle();  // after a server restart every idle connection is dead too
      if (++reconnects > kMaxReconnectRetries) {
        throw bus::TransientError(std::string("database connection lost: ") + e.what());
      }
      count_retry();
      jittered_backoff(reconnects + 2);
    } catch (const pqxx::in_doubt_error& e) {
      // The commit may or may not have happened: let the caller's redelivery (and the inbox)
      // sort it out rather than running the work twice here.
      give_back(nullptr);
      throw bus::TransientError(std::string("transaction outcome unknown: ") + e.what());
    } catch (const pqxx::transaction_rollback& e) {
      give_back(std::move(conn));
      if (++conflicts > kMaxConflictRetries) {
        throw bus::TransientError(std::string("transaction kept conflicting: ") + e.what());
      }
      count_retry();
      jittered_backoff(conflicts);
    } catch (const pqxx::sql_error& e) {
      const bool open = conn->is_open();
      give_back(open ? std::move(conn) : nullptr);
      if (is_conflict_state(e.sqlstate())) {
        if (++conflicts > kMaxConflictRetries) {
          throw bus::TransientError(std::string("transaction kept conflicting: ") + e.what());
        }
        count_retry();
        jittered_backoff(conflicts);
        continue;
      }
      if (is_transient(e)) {
        throw bus::TransientError(std::string("database unavailable: ") + e.what());
      }
      throw;
    } catch (...) {
      give_back(conn->is_open() ? std::move(conn) : nullptr);
      throw;
    }
  }
}

void ConnectionPool::read(const std::function<void(pqxx::work&)>& work) {
  transact([&](pqxx::work& tx) {
    tx.exec0("SET TRANSACTION READ ONLY");
    work(tx);
  });
}

bool ConnectionPool::reachable() {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = take(std::chrono::seconds(1));
  } catch (const bus::TransientError& e) {
    // Exhausted means others hold working connections; unreachable means we could not connect.
    return std::string(e.what()).rfind("database pool exhausted", 0) == 0;
  }
  try {
    {
      pqxx::nontransaction tx(*conn);
      tx.exec1("SELECT 1");
    }
    give_back(std::move(conn));
    return true;
  } catch (const std::exception&) {
    give_back(nullptr);
    return false;
  }
}

std::size_t ConnectionPool::in_use() const {
  std::lock_guard lock(mutex_);
  return in_use_;
}

}  // namespace commerce::store

namespace commerce::store {

std::string prepared(pqxx::transaction_base& tx, const std::string& sql) {
  char name[20];
  std::snprintf(name, sizeof name, "q%016zx", std::hash<std::string>{}(sql));
  // Registering the same text again is a no-op in libpqxx; the server sees it once per connection.
  tx.conn().prepare(name, sql);
  return name;
}

std::string array_literal(std::span<const std::string> values) {
  std::string out = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + '}';
}

}  // namespace commerce::store
