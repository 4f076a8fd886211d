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

class SagaRepository {
 public:
  // Inserts the saga with its first step; false when the order already has a saga of this type
  // (a redelivered OrderPlaced).
  bool insert(pqxx::work& tx, const Saga& saga, const std::string& type,
              const std::string& correlation_id, const std::string& traceparent, TimePoint now,
              const std::optional<std::string>& message_id, const std::string& note);
  std::optional<SagaRow> lock_by_order(pqxx::work& tx, const std::string& type,
                                       const std::string& order_id);
  std::optional<SagaRow> lock(pqxx::work& tx, const std::string& id);
  // Running sagas whose deadline passed, locked; rows locked by others are skipped.
  std::vector<SagaRow> lock_due(pqxx::work& tx, TimePoint now, std::size_t limit);
  // Persists a decision (unless it is ignored) and records its step.
  void record(pqxx::work& tx, const SagaRow& row, const SagaDecision& decision,
              const std::optional<std::string>& message_id, TimePoint now);
  void add_step(pqxx::work& tx, const SagaRow& row, std::optional<SagaState> from, SagaState to,
                const std::optional<std::string>& message_id, const std::string& note);

  std::optional<SagaRow> find(pqxx::work& tx, const std::string& id);
  std::vector<SagaStepRow> steps(pqxx::work& tx, const std::string& saga_id);
  std::vector<SagaRow> list(pqxx::work& tx, const SagaFilter& filter);
  std::map<std::string, std::int64_t> count_by_state(pqxx::work& tx, const std::string& type);
};

std::int64_t to_epoch_ms(TimePoint t);
TimePoint from_epoch_ms(std::int64_t ms);

}  // namespace orchestration
