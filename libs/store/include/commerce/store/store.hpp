#pragma once
// PostgreSQL through libpqxx: a connection pool, migrations, the transactional outbox and the
// inbox. Every agent connects as its own role, whose search_path is its own schema, so agent SQL
// names tables without a schema.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/kafka.hpp"
#include "commerce/bus/schema.hpp"
#include "commerce/log/log.hpp"
#include "commerce/metrics/fwd.hpp"

namespace commerce::store {

// True for failures that may pass: lost connection, serialization failure, deadlock,
// too many connections, admin shutdown.
bool is_transient(const std::exception& e);

class ConnectionPool {
 public:
  ConnectionPool(std::string url, std::size_t size, metrics::Registry* metrics = nullptr);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // Runs `work` in one transaction and commits. Serialization failures and deadlocks are
  // retried a few times; a broken connection is replaced. When the database stays unreachable
  // or busy it throws bus::TransientError. Other exceptions from `work` propagate unchanged
  // (after rollback).
  void transact(const std::function<void(pqxx::work&)>& work);
  // Same, read-only, for queries.
  void read(const std::function<void(pqxx::work&)>& work);
  // Each statement commits on its own (no BEGIN/COMMIT round trips): for work that is a single
  // statement. Same retry policy as transact().
  void autocommit(const std::function<void(pqxx::transaction_base&)>& work);

  bool reachable();
  std::size_t in_use() const;
  const std::string& url() const { return url_; }

 private:
  struct Slot;
  // Runs `attempt` on a pooled connection, retrying conflicts and lost connections.
  void run(const std::function<void(pqxx::connection&)>& attempt);
  std::unique_ptr<pqxx::connection> take(std::chrono::milliseconds timeout);
  void give_back(std::unique_ptr<pqxx::connection> c);
  void drop_idle();

  std::string url_;
  std::size_t size_;
  metrics::Registry* metrics_;
  mutable std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;
  std::size_t in_use_ = 0;
};

// Applies migrations/<agent>/NNNN_<what>.sql in order, each once, in its own transaction, and
// records them in schema_migrations (version, name, checksum). Also creates the library's own
// tables (outbox, inbox). A changed checksum of an applied migration stops start-up.
// Serialised across instances by an advisory lock.
void migrate(const std::string& url, const std::string& directory);

// Operator step (superuser URL): role <agent> with the given password and schema <agent>
// owned by it; the role is granted nothing on other schemas. Idempotent.
// Returns a URL for the agent's role on the same server and database.
std::string provision_agent(const std::string& admin_url, const std::string& agent,
                            const std::string& password);

// A libpq URL. host is a name, an IP address or a Unix-socket directory (absolute path);
// an empty password leaves it out.
std::string postgres_url(const std::string& user, const std::string& password,
                         const std::string& host, const std::string& port,
                         const std::string& dbname);

// Prepared statements: `sql` is parsed and planned once per connection instead of once per call
// (unprepared, parsing and planning were most of PostgreSQL's CPU under load). The name is derived
// from the text, so any SQL string can be used directly; keep the set of distinct texts bounded.
std::string prepared(pqxx::transaction_base& tx, const std::string& sql);

// A PostgreSQL array literal ({"a","b"}) for a `$n::text[]` or `$n::uuid[]` parameter. Batch
// statements match rows with `column = ANY($n)`, a condition the planner can serve from an index;
// a join against jsonb_to_recordset (estimated at 100 rows) was planned as a scan of the table.
std::string array_literal(std::span<const std::string> values);

template <class... Args>
pqxx::result exec(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  return tx.exec_prepared(prepared(tx, sql), std::forward<Args>(args)...);
}
// Expects no rows (pqxx::unexpected_rows otherwise).
template <class... Args>
pqxx::result exec0(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  return tx.exec_prepared0(prepared(tx, sql), std::forward<Args>(args)...);
}
// Expects exactly one row (pqxx::unexpected_rows otherwise).
template <class... Args>
pqxx::row exec1(pqxx::transaction_base& tx, const std::string& sql, Args&&... args) {
  return tx.exec_prepared1(prepared(tx, sql), std::forward<Args>(args)...);
}

// Appends a message to the outbox in the caller's transaction.
void append_outbox(pqxx::work& tx, const std::string& topic, const std::string& key,
                   const bus::Envelope& envelope);

struct OutboxEntry {
  std::string topic;
  std::string key;
  bus::Envelope envelope;
};
// Appends many messages, in order, with one statement: a batch of handled messages costs one
// round trip for its outbox however many messages it emits.
void append_outbox(pqxx::work& tx, std::span<const OutboxEntry> entries);

// One outbox row as statement parameters, for an effect that is a single statement: its CTE
// `INSERT INTO outbox ... SELECT <the five parameters> FROM <a CTE of the write>` commits with
// the write in an autocommitted statement, without a transaction's BEGIN and COMMIT round trips.
struct OutboxRow {
  std::string topic;
  std::string key;
  std::string message_id;
  std::string payload;
  std::string headers;  // JSON object
};
OutboxRow outbox_row(const std::string& topic, const std::string& key,
                     const bus::Envelope& envelope);
// The body of that CTE: one row per row of `from`, parameters $first..$first+4 in OutboxRow's
// order; it returns 1 per appended row.
std::string outbox_insert_sql(int first_param, const std::string& from);
// An expression that wakes the relay when the statement commits; evaluate it once per statement
// that appended rows, e.g. `(SELECT <it> FROM appended LIMIT 1)`, unless
// relay_woken_in_process(tx).
std::string outbox_notify_sql();
// True when this process's relay publishes tx's outbox (it holds the role's relay lock): it is
// woken when the pool's transact() or autocommit() call ends, and the statement appending rows
// must not NOTIFY, which signals every listening backend of the database at each commit.
bool relay_woken_in_process(pqxx::transaction_base& tx);

// The NOTIFY channel an agent's relay listens on: one per role, so one agent's commits do not
// wake every other agent's relay on a shared database.
inline constexpr const char* kOutboxChannelSql = "'outbox_' || current_user";

// Records the message id in the caller's transaction; false if it was handled already
// (the effect must then be skipped).
bool claim_inbox(pqxx::work& tx, const std::string& message_id);
// Claims many ids with one statement; returns those claimed now (not handled before). An id
// given twice is claimed once.
std::vector<std::string> claim_inbox(pqxx::work& tx, std::span<const std::string> message_ids);

// Forgets at most `limit` inbox ids handled more than `retention` ago; returns how many. Only
// UUIDv7 ids made before then go (the envelope's ids are UUIDv7), found as a range of the primary
// key, so the statement costs the same on a table of billions of rows. Safe only when no message
// older than `retention` can be delivered again: the topics' retention bounds that.
std::size_t prune_inbox(pqxx::work& tx, std::chrono::seconds retention, std::size_t limit);

// Outbox rows waiting to be published and the age of the oldest: one query, for the relay's
// callers and for the agents' metrics at scrape time.
struct OutboxBacklog {
  std::int64_t rows = 0;
  double oldest_age_seconds = 0;
};
OutboxBacklog read_outbox_backlog(pqxx::transaction_base& tx);

struct RelayOptions {
  std::size_t batch = 500;
  std::chrono::milliseconds idle_poll{200};  // poll interval when no NOTIFY arrives
  // How long to wait for the broker to acknowledge a batch before retrying it.
  std::chrono::milliseconds publish_timeout{30000};
};

// Publishes committed outbox rows to Kafka in id order, deleting each batch once the broker
// acknowledged it (with the next read). Woken in-process by the commits of its own process
// (relay_woken_in_process) and by NOTIFY from other instances' commits. Only one instance of an
// agent relays at a time (advisory lock); others stand by.
class OutboxRelay {
 public:
  OutboxRelay(std::string url, bus::Producer& producer, metrics::Registry* metrics = nullptr,
              RelayOptions options = {});
  ~OutboxRelay();
  void start();
  void stop();  // publishes what is in hand, then stops
  // Rows waiting and age of the oldest, read from the database.
  using Backlog = OutboxBacklog;
  Backlog backlog();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What a message handler gets: the transaction, the message, and a way to emit messages
// through the outbox in the same transaction.
class MessageContext {
 public:
  // With `pending`, emitted messages are collected there for the caller to append in one
  // statement; without, each is appended at once.
  MessageContext(pqxx::work& tx, const bus::Envelope& message, const bus::Message& raw,
                 std::vector<OutboxEntry>* pending = nullptr)
      : tx_(tx), message_(message), raw_(raw), pending_(pending) {}
  pqxx::work& tx() { return tx_; }
  const bus::Envelope& message() const { return message_; }
  const bus::Message& raw() const { return raw_; }
  // A new message caused by this one (correlation, causation and trace carried over).
  void emit(const std::string& topic, const std::string& key, std::string type,
            nlohmann::json payload);
  void emit(const std::string& topic, const std::string& key, const bus::Envelope& envelope);
  // The log context of handling this message: its ids, and a span that is a child of the span
  // that emitted it. The dispatcher scopes it around a per-message handler; a batch handler
  // scopes it itself around what it logs about one message.
  log::Context log_context() const;

 private:
  pqxx::work& tx_;
  const bus::Envelope& message_;
  const bus::Message& raw_;
  std::vector<OutboxEntry>* pending_;
};

using MessageHandler = std::function<void(MessageContext&)>;
// Every fresh message of its types in one consumed batch, in order, in one call: lets an agent
// read and write the rows of a whole batch in a statement or two instead of a few per message.
using BatchMessageHandler = std::function<void(std::span<MessageContext>)>;

// For a batch handler of two types that touch the same rows: hands each run of consecutive
// `type` messages to `run` at once, and every other message to `one` alone (in its log context),
// in batch order. `run` must have written its effects before it returns, so a message handled
// alone sees the rows as the messages before it left them.
void for_each_run(std::span<MessageContext> batch, const std::string& type,
                  const std::function<void(std::span<MessageContext>)>& run,
                  const std::function<void(MessageContext&)>& one);

// Turns consumed Kafka messages into transactional effects: parses the envelope, validates it
// against its JSON Schema, skips ids already in the inbox, runs the handler for its type, and
// commits the batch's effects, inbox rows and outbox rows in one transaction. The inbox claims
// and the outbox rows of a whole batch take one statement each, so the cost per message falls as
// load (and so batch size) grows. Types with no
// handler are skipped. A bad envelope or schema violation throws (so the bus dead-letters it).
class MessageDispatcher {
 public:
  // With `metrics`: messages_handled_total{type} and message_handling_duration_seconds{type}.
  MessageDispatcher(ConnectionPool& pool, const bus::SchemaRegistry& schemas,
                    metrics::Registry* metrics = nullptr);
  void on(const std::string& type, MessageHandler handler);
  // One handler for all of `types`. Per-message handlers of a batch run first, then each batch
  // handler once: give every type that touches the same rows to the same batch handler, as the
  // order between its messages and other handlers' messages is not kept.
  void on_batch(const std::vector<std::string>& types, BatchMessageHandler handler);
  // The types with a handler (the consumer's bounded metric labels).
  std::vector<std::string> handled_types() const {
    std::vector<std::string> types;
    for (const auto& [type, route] : routes_) types.push_back(type);
    return types;
  }
  bus::BatchHandler batch_handler();
  void handle(std::span<const bus::Message> batch);

 private:
  ConnectionPool& pool_;
  const bus::SchemaRegistry& schemas_;
  metrics::Registry* metrics_ = nullptr;
  struct Route {
    MessageHandler one;            // per message, or
    std::size_t batch = SIZE_MAX;  // an index into batch_handlers_
  };
  std::map<std::string, Route> routes_;
  std::vector<BatchMessageHandler> batch_handlers_;
};

}  // namespace commerce::store
