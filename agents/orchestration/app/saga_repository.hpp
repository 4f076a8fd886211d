#pragma once
// SQL for sagas and their step history, on the caller's transaction.
#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "domain/place_order_saga.hpp"

namespace orchestration {

struct SagaRow {
  Saga saga;
  std::string type;
  std::string correlation_id;
  std::string traceparent;
  TimePoint started_at;
  std::string started_at_text;  // RFC 3339
  std::string updated_at_text;
  std::optional<std::string> finished_at_text;
};

struct SagaStepRow {
  std::string at;
  std::optional<std::string> from_state;
  std::string to_state;
  std::optional<std::string> message_id;
  std::string note;
};

struct SagaFilter {
  std::optional<SagaState> state;
  bool stuck = false;  // not ended and past its deadline
  std::optional<std::string> order_id;
  std::optional<std::string> after_id;  // paging cursor, newest first
  std::size_t limit = 50;
};

struct SagaStep {
  std::string saga_id;
  std::string merchant_id;
  std::optional<SagaState> from;  // none for the saga's start
  SagaState to = SagaState::reserving;
  std::optional<std::string> message_id;
  std::string note;
};

// What a batch of messages did to the sagas, written in one statement.
struct SagaChanges {
  std::vector<SagaRow> created;  // new sagas, in the state the batch left them
  std::vector<SagaRow> changed;  // existing sagas whose state, deadline or data moved
  std::vector<SagaStep> steps;   // every step, in order, of created and existing sagas
  bool empty() const { return created.empty() && changed.empty() && steps.empty(); }
};

class SagaRepository {
 public:
  // The sagas of `type` for these orders, by order id, locked in id order (one statement for a
  // whole batch; a consistent order so two batches cannot deadlock).
  std::map<std::string, SagaRow> lock_by_orders(pqxx::work& tx, const std::string& type,
                                                const std::vector<std::string>& order_ids);
  // Inserts the created sagas, updates the changed ones and appends the steps, in one statement.
  // A created saga whose order already has one of its type (another instance started it
  // meanwhile) violates the unique key: the statement fails and nothing is written.
  void write(pqxx::work& tx, const SagaChanges& changes, TimePoint now);
  std::optional<SagaRow> lock(pqxx::work& tx, const std::string& id);
  // Running sagas whose deadline passed, locked; rows locked by others are skipped.
  std::vector<SagaRow> lock_due(pqxx::work& tx, TimePoint now, std::size_t limit);
  // Persists a decision (unless it is ignored) and records its step.
  void record(pqxx::work& tx, const SagaRow& row, const SagaDecision& decision,
              const std::optional<std::string>& message_id, TimePoint now);

  std::optional<SagaRow> find(pqxx::work& tx, const std::string& id);
  std::vector<SagaStepRow> steps(pqxx::work& tx, const std::string& saga_id);
  std::vector<SagaRow> list(pqxx::work& tx, const SagaFilter& filter);
  // Sagas per state: `finished` false counts running sagas (the partial index of running sagas
  // serves it: cheap at every scrape); true counts finished ones (every saga ever run: a scan).
  std::map<std::string, std::int64_t> count_by_state(pqxx::work& tx, const std::string& type,
                                                     bool finished);
};

std::int64_t to_epoch_ms(TimePoint t);
TimePoint from_epoch_ms(std::int64_t ms);

}  // namespace orchestration
