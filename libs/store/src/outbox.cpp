// The transactional outbox, the inbox, and the relay that publishes the outbox to Kafka.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>

#include "commerce/core/ids.hpp"
#include "commerce/core/thread_name.hpp"
#include "commerce/log/log.hpp"
#include "commerce/metrics/registry.hpp"
#include "commerce/store/store.hpp"
#include "relay_wake.hpp"

namespace commerce::store {

namespace {

// {"message_id":…,"traceparent":…,"type":…} (no traceparent when there is none), written
// directly: one per emitted message.
std::string outbox_headers(const bus::Envelope& envelope) {
  std::string out = "{\"message_id\":" + nlohmann::json(envelope.id).dump();
  if (!envelope.traceparent.empty()) {
    out += ",\"traceparent\":" + nlohmann::json(envelope.traceparent).dump();
  }
  out += ",\"type\":" + nlohmann::json(envelope.type).dump() + "}";
  return out;
}

}  // namespace

OutboxRow outbox_row(const std::string& topic, const std::string& key,
                     const bus::Envelope& envelope) {
  return {topic, key, envelope.id, bus::to_json_string(envelope), outbox_headers(envelope)};
}

std::string outbox_insert_sql(int first_param, const std::string& from) {
  std::string values;
  for (int i = 0; i < 5; ++i) {
    values += (i ? ", $" : "$") + std::to_string(first_param + i);
  }
  return "INSERT INTO outbox(topic, key, message_id, payload, headers) SELECT " + values +
         "::jsonb FROM " + from + " RETURNING 1";
}

std::string outbox_notify_sql() { return std::string("pg_notify(") + kOutboxChannelSql + ", '')"; }

bool relay_woken_in_process(pqxx::transaction_base& tx) { return detail::mark_relay_wake(tx); }

void append_outbox(pqxx::work& tx, const std::string& topic, const std::string& key,
                   const bus::Envelope& envelope) {
  // Without a relay here, the notification is delivered on commit, once per transaction however
  // often it is sent; sending it from the same statement saves a round trip per message.
  static const std::string insert = outbox_insert_sql(1, "(VALUES (1)) AS one");
  static const std::string notifying =
      "WITH appended AS (" + insert + ") SELECT " + outbox_notify_sql() + " FROM appended";
  const auto row = outbox_row(topic, key, envelope);
  exec(tx, relay_woken_in_process(tx) ? insert : notifying, row.topic, row.key, row.message_id,
       row.payload, row.headers);
}

void append_outbox(pqxx::work& tx, std::span<const OutboxEntry> entries) {
  if (entries.empty()) return;
  if (entries.size() == 1) {
    append_outbox(tx, entries[0].topic, entries[0].key, entries[0].envelope);
    return;
  }
  // One text array per column: PostgreSQL reads an array literal with less work than a JSON
  // array of objects (json_to_recordset looked every field up in a hash table per row), and the
  // payloads are escaped once here instead of a second time inside a JSON document.
  std::vector<std::string> topics, keys, ids, payloads, headers;
  for (auto* column : {&topics, &keys, &ids, &payloads, &headers}) column->reserve(entries.size());
  for (const auto& e : entries) {
    topics.push_back(e.topic);
    keys.push_back(e.key);
    ids.push_back(e.envelope.id);
    payloads.push_back(bus::to_json_string(e.envelope));
    headers.push_back(outbox_headers(e.envelope));
  }
  // A function scan yields rows in array order, so ids (the publishing order) follow `entries`.
  static const std::string insert =
      "INSERT INTO outbox(topic, key, message_id, payload, headers) "
      "SELECT topic, key, message_id, payload, headers::jsonb "
      "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
      "AS x(topic, key, message_id, payload, headers)";
  static const std::string notifying = "WITH appended AS (" + insert + " RETURNING 1) SELECT " +
                                       outbox_notify_sql() + " FROM appended LIMIT 1";
  exec(tx, relay_woken_in_process(tx) ? insert : notifying, array_literal(topics),
       array_literal(keys), array_literal(ids), array_literal(payloads), array_literal(headers));
}

bool claim_inbox(pqxx::work& tx, const std::string& message_id) {
  auto r = exec(tx, "INSERT INTO inbox(message_id) VALUES ($1) ON CONFLICT DO NOTHING", message_id);
  return r.affected_rows() == 1;
}

std::vector<std::string> claim_inbox(pqxx::work& tx, std::span<const std::string> message_ids) {
  std::vector<std::string> claimed;
  if (message_ids.empty()) return claimed;
  if (message_ids.size() == 1) {
    if (claim_inbox(tx, message_ids[0])) claimed.push_back(message_ids[0]);
    return claimed;
  }
  auto r = exec(tx,
                "INSERT INTO inbox(message_id) SELECT DISTINCT unnest($1::text[]) "
                "ON CONFLICT DO NOTHING RETURNING message_id",
                array_literal(message_ids));
  claimed.reserve(r.size());
  for (const auto& row : r) claimed.push_back(row[0].as<std::string>());
  return claimed;
}

std::size_t prune_inbox(pqxx::work& tx, std::chrono::seconds retention, std::size_t limit) {
  // Both the id's own time and the handling time must be past the cutoff: an id made long ago
  // but handled lately (a consumer that was down) is kept for a whole retention period too.
  const auto cutoff = std::chrono::system_clock::now() - retention;
  const auto r =
      exec(tx,
           "DELETE FROM inbox WHERE message_id IN (SELECT message_id FROM inbox "
           "WHERE message_id < $1 AND substr(message_id, 15, 1) = '7' "
           "AND handled_at < $2::timestamptz ORDER BY message_id LIMIT $3)",
           core::uuid_v7_floor(cutoff), core::to_rfc3339(cutoff), static_cast<long>(limit));
  return static_cast<std::size_t>(r.affected_rows());
}

namespace {

class OutboxListener : public pqxx::notification_receiver {
 public:
  OutboxListener(pqxx::connection_base& c, const std::string& channel)
      : pqxx::notification_receiver(c, channel) {}
  void operator()(const std::string&, int) override {}  // waking up is all we need
};

struct Row {
  std::int64_t id;
  bus::OutgoingMessage message;
};

}  // namespace

struct OutboxRelay::Impl {
  std::string url;
  bus::Producer& producer;
  metrics::Registry* metrics;
  RelayOptions options;

  std::thread thread;
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable wake;
  int wake_fd = -1;  // interrupts the wait for a notification on stop()

  Impl(std::string u, bus::Producer& p, metrics::Registry* m, RelayOptions o)
      : url(std::move(u)), producer(p), metrics(m), options(o) {
    wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  ~Impl() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  // Commits of this process that appended rows (while registered as its role's relay).
  std::shared_ptr<detail::RelayWake> commits = std::make_shared<detail::RelayWake>();

  // Waits for a commit since `seen` (in-process, or NOTIFY from another instance), stop(), or
  // the idle poll interval, whichever comes first.
  void await_work(pqxx::connection& conn, std::uint64_t seen) {
    if (commits->commits() != seen) return;
    // A notification that arrived with the last result is already read off the socket.
    if (conn.get_notifs() > 0) return;
    pollfd fds[3] = {{conn.sock(), POLLIN, 0}, {wake_fd, POLLIN, 0}, {commits->fd(), POLLIN, 0}};
    const auto ms = std::max<long>(1, static_cast<long>(options.idle_poll.count()));
    if (::poll(fds, 3, static_cast<int>(std::min<long>(ms, 1L << 30))) > 0 && fds[1].revents) {
      std::uint64_t drained;
      (void)!::read(wake_fd, &drained, sizeof drained);
    }
    conn.get_notifs();  // consumes the notifications; throws if the connection broke
  }

  // Waits unless stopping; false when asked to stop.
  bool pause(std::chrono::milliseconds d) {
    std::unique_lock lock(mutex);
    return !wake.wait_for(lock, d, [&] { return stopping.load(); });
  }

  std::vector<std::int64_t> acknowledged;  // published, not yet deleted

  void run();
  // Deletes the acknowledged rows now (before waiting, so the backlog reads true).
  void forget_acknowledged(pqxx::connection& conn);
  bool hold_relay_lock(pqxx::connection& conn);
  // Publishes one batch; returns the number of rows published, or -1 when stopping mid-retry.
  long relay_batch(pqxx::connection& conn);
};

bool OutboxRelay::Impl::hold_relay_lock(pqxx::connection& conn) {
  bool announced = false;
  while (!stopping) {
    {
      pqxx::nontransaction tx(conn);
      // Advisory locks are per database: the key names the agent's role.
      auto r = tx.exec1("SELECT pg_try_advisory_lock(hashtext(current_user || '.outbox_relay'))");
      if (r[0].as<bool>()) return true;
    }
    if (!announced) {
      log::info("outbox relay standing by: another instance relays");
      announced = true;
    }
    if (!pause(std::chrono::seconds(1))) break;
  }
  return false;
}

static std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(ids[i]);
  }
  return out + '}';
}

long OutboxRelay::Impl::relay_batch(pqxx::connection& conn) {
  std::vector<Row> rows;
  {
    // Deletes what the broker acknowledged last time and reads the next batch in one round trip
    // (autocommit). The SELECT sees the rows as they were before the DELETE, hence the filter.
    pqxx::nontransaction tx(conn);
    auto r = exec(tx,
                  "WITH published AS (DELETE FROM outbox WHERE id = ANY($1::bigint[])) "
                  "SELECT id, topic, key, payload, headers::text FROM outbox "
                  "WHERE NOT (id = ANY($1::bigint[])) ORDER BY id LIMIT $2",
                  id_array(acknowledged), static_cast<long>(options.batch));
    acknowledged.clear();
    rows.reserve(r.size());
    for (const auto& row : r) {
      Row out;
      out.id = row[0].as<std::int64_t>();
      out.message.topic = row[1].as<std::string>();
      out.message.key = row[2].as<std::string>();
      out.message.value = row[3].as<std::string>();
      auto headers = nlohmann::json::parse(row[4].as<std::string>(), nullptr, false);
      if (headers.is_object()) {
        for (auto& [name, value] : headers.items()) {
          if (value.is_string()) out.message.headers.emplace_back(name, value.get<std::string>());
        }
      }
      rows.push_back(std::move(out));
    }
  }
  if (rows.empty()) return 0;

  std::vector<bus::OutgoingMessage> messages;
  messages.reserve(rows.size());
  for (const auto& row : rows) messages.push_back(row.message);
  auto backoff = std::chrono::milliseconds(200);
  for (;;) {
    std::string error;
    if (producer.produce_and_wait(messages, options.publish_timeout, &error)) break;
    // Not acknowledged: keep the rows and publish the same batch again. Duplicates from a
    // partial success are absorbed by the consumers' inbox.
    if (metrics) {
      metrics->counter("outbox_publish_failures_total", "Outbox batches the broker did not ack")
          .with()
          .inc();
    }
    log::warn("outbox relay: publish failed, retrying",
              {{"error", error}, {"rows", std::to_string(rows.size())}});
    if (!pause(backoff)) return -1;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }

  // Deleted by the next relay_batch() or forget_acknowledged(); if we crash before, they are
  // published again and the consumers' inbox absorbs the duplicates.
  for (const auto& row : rows) acknowledged.push_back(row.id);
  if (metrics) {
    metrics->counter("outbox_published_total", "Outbox rows published and acknowledged")
        .with()
        .inc(static_cast<double>(rows.size()));
  }
  return static_cast<long>(rows.size());
}

void OutboxRelay::Impl::forget_acknowledged(pqxx::connection& conn) {
  if (acknowledged.empty()) return;
  pqxx::nontransaction tx(conn);
  exec(tx, "DELETE FROM outbox WHERE id = ANY($1::bigint[])", id_array(acknowledged));
  acknowledged.clear();
}

void OutboxRelay::Impl::run() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stopping) {
    try {
      pqxx::connection conn(url);
      if (!hold_relay_lock(conn)) return;
      std::string channel;
      {
        pqxx::nontransaction tx(conn);
        channel = tx.exec1(std::string("SELECT ") + kOutboxChannelSql)[0].as<std::string>();
        // Deleting published rows need not wait for the WAL flush: a delete lost in a crash
        // only publishes those rows again, and the consumers' inbox absorbs the duplicates.
        // Otherwise every relay batch's delete waits for an fsync of its own.
        tx.exec0("SET synchronous_commit TO off");
      }
      OutboxListener listener(conn, channel);  // LISTEN outbox_<role>
      // From here this process's commits wake us directly and send no NOTIFY.
      detail::register_relay(conn, commits);
      struct Unregister {
        const std::shared_ptr<detail::RelayWake>& wake;
        ~Unregister() { detail::unregister_relay(wake); }
      } unregister{commits};
      backoff = std::chrono::milliseconds(100);
      while (!stopping) {
        // A commit counted after this is not in the read below: it makes await_work return.
        commits->drain();
        const auto seen = commits->commits();
        long published = relay_batch(conn);
        if (published < 0) return;
        // A full batch may have left rows behind. Otherwise the rows just published are
        // deleted with the next read, after the next commit or the idle poll interval.
        if (published >= static_cast<long>(options.batch)) continue;
        if (stopping) break;
        await_work(conn, seen);
      }
      forget_acknowledged(conn);
      return;  // closing the connection releases the relay lock
    } catch (const std::exception& e) {
      log::warn("outbox relay: database failure, reconnecting", {{"error", e.what()}});
      if (!pause(backoff)) return;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
    }
  }
}

OutboxRelay::OutboxRelay(std::string url, bus::Producer& producer, metrics::Registry* metrics,
                         RelayOptions options)
    : impl_(std::make_unique<Impl>(std::move(url), producer, metrics, options)) {
  if (impl_->options.batch == 0) impl_->options.batch = 1;
}

OutboxRelay::~OutboxRelay() { stop(); }

void OutboxRelay::start() {
  if (impl_->thread.joinable()) return;
  impl_->stopping = false;
  std::uint64_t drained;
  (void)!::read(impl_->wake_fd, &drained, sizeof drained);
  impl_->thread = std::thread([this] {
    core::name_this_thread("outbox-relay");
    impl_->run();
  });
}

void OutboxRelay::stop() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  const std::uint64_t one = 1;
  (void)!::write(impl_->wake_fd, &one, sizeof one);
  if (impl_->thread.joinable()) impl_->thread.join();
}

OutboxBacklog read_outbox_backlog(pqxx::transaction_base& tx) {
  const auto r = exec1(tx,
                       "SELECT count(*), "
                       "coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
                       "FROM outbox");
  return {r[0].as<std::int64_t>(), r[1].as<double>()};
}

OutboxRelay::Backlog OutboxRelay::backlog() {
  pqxx::connection conn(impl_->url);
  pqxx::nontransaction tx(conn);
  return read_outbox_backlog(tx);
}

}  // namespace commerce::store
