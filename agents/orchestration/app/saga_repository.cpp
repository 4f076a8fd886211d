#include "app/saga_repository.hpp"

#include <nlohmann/json.hpp>

#include "commerce/store/store.hpp"

namespace orchestration {

std::int64_t to_epoch_ms(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

TimePoint from_epoch_ms(std::int64_t ms) {
  return TimePoint(std::chrono::duration_cast<Clock::duration>(std::chrono::milliseconds(ms)));
}

namespace {

std::string rfc3339(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";
}

const std::string kColumns =
    "id::text, type, order_id::text, merchant_id, state, "
    "(extract(epoch FROM deadline) * 1000)::bigint, data::text, correlation_id, traceparent, "
    "(extract(epoch FROM started_at) * 1000)::bigint, " +
    rfc3339("started_at") + ", " + rfc3339("updated_at") + ", " + rfc3339("finished_at");

// Milliseconds since the epoch as a timestamptz parameter expression.
const char* kMillis = "to_timestamp($%d::double precision / 1000)";

SagaRow row_from(const pqxx::row& r) {
  SagaRow row;
  row.saga.id = r[0].as<std::string>();
  row.type = r[1].as<std::string>();
  row.saga.order_id = r[2].as<std::string>();
  row.saga.merchant_id = r[3].as<std::string>();
  row.saga.state = parse_state(r[4].as<std::string>()).value_or(SagaState::reserving);
  row.saga.deadline = from_epoch_ms(r[5].as<std::int64_t>());
  row.saga.data = saga_data_from_json(nlohmann::json::parse(r[6].as<std::string>()));
  row.correlation_id = r[7].as<std::string>();
  row.traceparent = r[8].as<std::string>();
  row.started_at = from_epoch_ms(r[9].as<std::int64_t>());
  row.started_at_text = r[10].as<std::string>();
  row.updated_at_text = r[11].as<std::string>();
  if (!r[12].is_null()) row.finished_at_text = r[12].as<std::string>();
  return row;
}

std::string millis(int param) {
  char buf[64];
  std::snprintf(buf, sizeof buf, kMillis, param);
  return buf;
}

}  // namespace

bool SagaRepository::insert(pqxx::work& tx, const Saga& saga, const std::string& type,
                            const std::string& correlation_id, const std::string& traceparent,
                            TimePoint now, const std::optional<std::string>& message_id,
                            const std::string& note) {
  // The saga and its first step in one statement.
  auto result = commerce::store::exec(
      tx,
      "WITH s AS (INSERT INTO sagas (id, type, order_id, merchant_id, state, step, deadline, "
      "data, correlation_id, traceparent, started_at, updated_at) "
      "VALUES ($1::uuid, $2, $3::uuid, $4, $5, $6, " +
          millis(7) + ", $8::jsonb, $9, $10, " + millis(11) + ", " + millis(11) +
          ") ON CONFLICT (type, order_id) DO NOTHING RETURNING id, merchant_id) "
          "INSERT INTO saga_steps (saga_id, merchant_id, from_state, to_state, message_id, note) "
          "SELECT id, merchant_id, NULL, $5, $12, $13 FROM s",
      saga.id, type, saga.order_id, saga.merchant_id, to_string(saga.state), step_of(saga.state),
      to_epoch_ms(saga.deadline), to_json(saga.data).dump(), correlation_id, traceparent,
      to_epoch_ms(now), message_id, note);
  return result.affected_rows() == 1;
}

std::optional<SagaRow> SagaRepository::lock_by_order(pqxx::work& tx, const std::string& type,
                                                     const std::string& order_id) {
  auto rows = commerce::store::exec(
      tx, "SELECT " + kColumns + " FROM sagas WHERE type = $1 AND order_id = $2::uuid FOR UPDATE",
      type, order_id);
  if (rows.empty()) return std::nullopt;
  return row_from(rows[0]);
}

std::optional<SagaRow> SagaRepository::lock(pqxx::work& tx, const std::string& id) {
  auto rows = commerce::store::exec(
      tx, "SELECT " + kColumns + " FROM sagas WHERE id = $1::uuid FOR UPDATE", id);
  if (rows.empty()) return std::nullopt;
  return row_from(rows[0]);
}

std::vector<SagaRow> SagaRepository::lock_due(pqxx::work& tx, TimePoint now, std::size_t limit) {
  auto rows = commerce::store::exec(
      tx,
      "SELECT " + kColumns +
          " FROM sagas WHERE state NOT IN ('completed', 'compensated') AND deadline < " +
          millis(1) + " ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED",
      to_epoch_ms(now), static_cast<long>(limit));
  std::vector<SagaRow> out;
  for (const auto& r : rows) out.push_back(row_from(r));
  return out;
}

void SagaRepository::record(pqxx::work& tx, const SagaRow& row, const SagaDecision& decision,
                            const std::optional<std::string>& message_id, TimePoint now) {
  if (decision.ignored) {
    add_step(tx, row, decision.from, decision.to, message_id, decision.note);
    return;
  }
  // The new state and its step in one statement.
  commerce::store::exec0(
      tx,
      "WITH s AS (UPDATE sagas SET state = $2, step = $3, deadline = " + millis(4) +
          ", data = $5::jsonb, updated_at = " + millis(6) + ", finished_at = CASE WHEN $7 THEN " +
          millis(6) +
          " ELSE finished_at END WHERE id = $1::uuid RETURNING id, merchant_id) "
          "INSERT INTO saga_steps (saga_id, merchant_id, from_state, to_state, message_id, note) "
          "SELECT id, merchant_id, $8, $2, $9, $10 FROM s",
      row.saga.id, to_string(decision.to), step_of(decision.to), to_epoch_ms(decision.deadline),
      to_json(decision.data).dump(), to_epoch_ms(now), is_terminal(decision.to),
      to_string(decision.from), message_id, decision.note);
}

void SagaRepository::add_step(pqxx::work& tx, const SagaRow& row, std::optional<SagaState> from,
                              SagaState to, const std::optional<std::string>& message_id,
                              const std::string& note) {
  commerce::store::exec0(
      tx,
      "INSERT INTO saga_steps (saga_id, merchant_id, from_state, to_state, message_id, note) "
      "VALUES ($1::uuid, $2, $3, $4, $5, $6)",
      row.saga.id, row.saga.merchant_id,
      from ? std::optional<std::string>(to_string(*from)) : std::nullopt, to_string(to), message_id,
      note);
}

std::optional<SagaRow> SagaRepository::find(pqxx::work& tx, const std::string& id) {
  auto rows =
      commerce::store::exec(tx, "SELECT " + kColumns + " FROM sagas WHERE id = $1::uuid", id);
  if (rows.empty()) return std::nullopt;
  return row_from(rows[0]);
}

std::vector<SagaStepRow> SagaRepository::steps(pqxx::work& tx, const std::string& saga_id) {
  std::vector<SagaStepRow> out;
  for (const auto& r :
       commerce::store::exec(tx,
                             "SELECT " + rfc3339("at") +
                                 ", from_state, to_state, message_id, note "
                                 "FROM saga_steps WHERE saga_id = $1::uuid ORDER BY id",
                             saga_id)) {
    SagaStepRow s;
    s.at = r[0].as<std::string>();
    if (!r[1].is_null()) s.from_state = r[1].as<std::string>();
    s.to_state = r[2].as<std::string>();
    if (!r[3].is_null()) s.message_id = r[3].as<std::string>();
    s.note = r[4].as<std::string>();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<SagaRow> SagaRepository::list(pqxx::work& tx, const SagaFilter& f) {
  auto rows = commerce::store::exec(
      tx,
      "SELECT " + kColumns +
          " FROM sagas WHERE ($1::text IS NULL OR state = $1) "
          "AND (NOT $2 OR (state NOT IN ('completed', 'compensated') AND deadline < now())) "
          "AND ($3::uuid IS NULL OR order_id = $3::uuid) "
          "AND ($4::uuid IS NULL OR id < $4::uuid) ORDER BY id DESC LIMIT $5",
      f.state ? std::optional<std::string>(to_string(*f.state)) : std::nullopt, f.stuck, f.order_id,
      f.after_id, static_cast<long>(f.limit));
  std::vector<SagaRow> out;
  for (const auto& r : rows) out.push_back(row_from(r));
  return out;
}

std::map<std::string, std::int64_t> SagaRepository::count_by_state(pqxx::work& tx,
                                                                   const std::string& type) {
  std::map<std::string, std::int64_t> counts;
  for (const auto& r : commerce::store::exec(
           tx, "SELECT state, count(*) FROM sagas WHERE type = $1 GROUP BY state", type)) {
    counts[r[0].as<std::string>()] = r[1].as<std::int64_t>();
  }
  return counts;
}

}  // namespace orchestration
