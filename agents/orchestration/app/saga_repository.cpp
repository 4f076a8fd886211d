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

std::map<std::string, SagaRow> SagaRepository::lock_by_orders(
    pqxx::work& tx, const std::string& type, const std::vector<std::string>& order_ids) {
  std::map<std::string, SagaRow> out;
  if (order_ids.empty()) return out;
  const auto rows = commerce::store::exec(
      tx,
      "SELECT " + kColumns +
          " FROM sagas WHERE type = $1 AND order_id = ANY($2::uuid[]) ORDER BY id FOR UPDATE",
      type, commerce::store::array_literal(order_ids));
  for (const auto& r : rows) {
    auto row = row_from(r);
    out.emplace(row.saga.order_id, std::move(row));
  }
  return out;
}

void SagaRepository::write(pqxx::work& tx, const SagaChanges& changes, TimePoint now) {
  if (changes.empty()) return;
  // One text array per column (as the outbox does): PostgreSQL reads an array literal with
  // less work than a JSON document of objects, and no document is built here.
  using Column = std::vector<std::string>;
  auto flag = [](bool b) { return std::string(b ? "t" : "f"); };
  Column c_id, c_type, c_order, c_merchant, c_state, c_step, c_deadline, c_data, c_correlation,
      c_traceparent, c_finished;
  for (const auto& row : changes.created) {
    const auto& saga = row.saga;
    c_id.push_back(saga.id);
    c_type.push_back(row.type);
    c_order.push_back(saga.order_id);
    c_merchant.push_back(saga.merchant_id);
    c_state.push_back(to_string(saga.state));
    c_step.push_back(step_of(saga.state));
    c_deadline.push_back(std::to_string(to_epoch_ms(saga.deadline)));
    c_data.push_back(to_json(saga.data).dump());
    c_correlation.push_back(row.correlation_id);
    c_traceparent.push_back(row.traceparent);
    c_finished.push_back(flag(is_terminal(saga.state)));
  }
  Column m_id, m_state, m_step, m_deadline, m_data, m_finished;
  for (const auto& row : changes.changed) {
    const auto& saga = row.saga;
    m_id.push_back(saga.id);
    m_state.push_back(to_string(saga.state));
    m_step.push_back(step_of(saga.state));
    m_deadline.push_back(std::to_string(to_epoch_ms(saga.deadline)));
    m_data.push_back(to_json(saga.data).dump());
    m_finished.push_back(flag(is_terminal(saga.state)));
  }
  // "" stands for NULL in the nullable step columns: no state or message id is empty.
  Column s_saga, s_merchant, s_from, s_to, s_message, s_note;
  for (const auto& step : changes.steps) {
    s_saga.push_back(step.saga_id);
    s_merchant.push_back(step.merchant_id);
    s_from.push_back(step.from ? to_string(*step.from) : "");
    s_to.push_back(to_string(step.to));
    s_message.push_back(step.message_id.value_or(""));
    s_note.push_back(step.note);
  }
  // New sagas, moved sagas and every step in one statement: one round trip for the whole batch.
  // A step names a saga this statement inserts or one the batch holds locked (no foreign key:
  // migration 0004).
  static const std::string at = millis(1);
  static const std::string sql =
      "WITH created AS ("
      "  INSERT INTO sagas (id, type, order_id, merchant_id, state, step, deadline, data, "
      "    correlation_id, traceparent, started_at, updated_at, finished_at) "
      "  SELECT c.id, c.type, c.order_id, c.merchant_id, c.state, c.step, "
      "    to_timestamp(c.deadline_ms::double precision / 1000), c.data::jsonb, c.correlation_id, "
      "    c.traceparent, " +
      at + ", " + at + ", CASE WHEN c.finished THEN " + at +
      " END "
      "  FROM unnest($2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], "
      "    $8::bigint[], $9::text[], $10::text[], $11::text[], $12::boolean[]) "
      "    AS c(id, type, order_id, merchant_id, state, step, deadline_ms, data, correlation_id, "
      "    traceparent, finished)), "
      "changed AS ("
      "  UPDATE sagas s SET state = c.state, step = c.step, "
      "    deadline = to_timestamp(c.deadline_ms::double precision / 1000), data = c.data::jsonb, "
      "    updated_at = " +
      at + ", finished_at = CASE WHEN c.finished THEN " + at +
      " END "  // NULL exactly while running: the partial index sagas_running
      "  FROM unnest($13::uuid[], $14::text[], $15::text[], $16::bigint[], $17::text[], "
      "    $18::boolean[]) AS c(id, state, step, deadline_ms, data, finished) "
      "  WHERE s.id = ANY($13::uuid[]) AND s.id = c.id) "
      "INSERT INTO saga_steps (saga_id, merchant_id, from_state, to_state, message_id, note) "
      "SELECT st.saga_id, st.merchant_id, NULLIF(st.from_state, ''), st.to_state, "
      "  NULLIF(st.message_id, ''), st.note "
      "FROM unnest($19::uuid[], $20::text[], $21::text[], $22::text[], $23::text[], "
      "  $24::text[]) AS st(saga_id, merchant_id, from_state, to_state, message_id, note)";
  using commerce::store::array_literal;
  commerce::store::exec0(tx, sql, to_epoch_ms(now), array_literal(c_id), array_literal(c_type),
                         array_literal(c_order), array_literal(c_merchant), array_literal(c_state),
                         array_literal(c_step), array_literal(c_deadline), array_literal(c_data),
                         array_literal(c_correlation), array_literal(c_traceparent),
                         array_literal(c_finished), array_literal(m_id), array_literal(m_state),
                         array_literal(m_step), array_literal(m_deadline), array_literal(m_data),
                         array_literal(m_finished), array_literal(s_saga),
                         array_literal(s_merchant), array_literal(s_from), array_literal(s_to),
                         array_literal(s_message), array_literal(s_note));
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
      "SELECT " + kColumns + " FROM sagas WHERE finished_at IS NULL AND deadline < " + millis(1) +
          " ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED",
      to_epoch_ms(now), static_cast<long>(limit));
  std::vector<SagaRow> out;
  for (const auto& r : rows) out.push_back(row_from(r));
  return out;
}

void SagaRepository::record(pqxx::work& tx, const SagaRow& row, const SagaDecision& decision,
                            const std::optional<std::string>& message_id, TimePoint now) {
  SagaChanges changes;
  if (!decision.ignored) {
    SagaRow moved = row;
    moved.saga.state = decision.to;
    moved.saga.deadline = decision.deadline;
    moved.saga.data = decision.data;
    changes.changed.push_back(std::move(moved));
  }
  changes.steps.push_back(
      {row.saga.id, row.saga.merchant_id, decision.from, decision.to, message_id, decision.note});
  write(tx, changes, now);
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
          "AND (NOT $2 OR (finished_at IS NULL AND deadline < now())) "
          "AND ($3::uuid IS NULL OR order_id = $3::uuid) "
          "AND ($4::uuid IS NULL OR id < $4::uuid) ORDER BY id DESC LIMIT $5",
      f.state ? std::optional<std::string>(to_string(*f.state)) : std::nullopt, f.stuck, f.order_id,
      f.after_id, static_cast<long>(f.limit));
  std::vector<SagaRow> out;
  for (const auto& r : rows) out.push_back(row_from(r));
  return out;
}

std::map<std::string, std::int64_t> SagaRepository::count_by_state(pqxx::work& tx,
                                                                   const std::string& type,
                                                                   bool finished) {
  std::map<std::string, std::int64_t> counts;
  const std::string sql = std::string("SELECT state, count(*) FROM sagas WHERE type = $1 AND ") +
                          (finished ? "finished_at IS NOT NULL" : "finished_at IS NULL") +
                          " GROUP BY state";
  for (const auto& r : commerce::store::exec(tx, sql, type)) {
    counts[r[0].as<std::string>()] = r[1].as<std::int64_t>();
  }
  return counts;
}

}  // namespace orchestration
