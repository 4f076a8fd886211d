#include "app/operator_routes.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "app/saga_handlers.hpp"
#include "commerce/bus/envelope.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"

namespace orchestration {

using commerce::http::Request;
using commerce::http::Response;

namespace {

// Compares without leaking where the first difference is.
bool same_secret(const std::string& given, const std::string& expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  return diff == 0;
}

Response invalid(const std::string& field, const std::string& message) {
  return Response::json(
      422, {{"error", {{"code", "validation_failed"}, {"message", message}, {"field", field}}}});
}

}  // namespace

nlohmann::json saga_json(const SagaRow& row) {
  auto data = to_json(row.saga.data);
  data.erase("card_token");  // operators need no card tokens
  return {{"id", row.saga.id},
          {"type", row.type},
          {"order_id", row.saga.order_id},
          {"merchant_id", row.saga.merchant_id},
          {"state", to_string(row.saga.state)},
          {"step", step_of(row.saga.state)},
          {"deadline", commerce::core::to_rfc3339(row.saga.deadline)},
          {"stuck", !is_terminal(row.saga.state) && row.saga.deadline < Clock::now()},
          {"data", data},
          {"correlation_id", row.correlation_id},
          {"started_at", row.started_at_text},
          {"updated_at", row.updated_at_text},
          {"finished_at",
           row.finished_at_text ? nlohmann::json(*row.finished_at_text) : nlohmann::json(nullptr)}};
}

OperatorRoutes::OperatorRoutes(commerce::store::ConnectionPool& db, SagaRepository& sagas,
                               SagaMetrics& metrics, SagaPolicy policy, std::string operator_token)
    : db_(db),
      sagas_(sagas),
      metrics_(metrics),
      policy_(policy),
      operator_token_(std::move(operator_token)) {}

void OperatorRoutes::register_on(commerce::http::Router& router) {
  auto guarded = [this](Response (OperatorRoutes::*handler)(const Request&)) {
    return [this, handler](const Request& r) {
      if (!operator_token_.empty() &&
          !same_secret(r.header("Authorization"), "Bearer " + operator_token_)) {
        return Response::error(401, "unauthenticated", "an operator token is required");
      }
      return (this->*handler)(r);
    };
  };
  router.add("GET", "/sagas", guarded(&OperatorRoutes::list));
  router.add("GET", "/sagas/{id}", guarded(&OperatorRoutes::get));
  router.add("POST", "/sagas/{id}/retry", guarded(&OperatorRoutes::retry));
  router.add("POST", "/sagas/{id}/compensate", guarded(&OperatorRoutes::compensate));
}

Response OperatorRoutes::list(const Request& request) {
  SagaFilter filter;
  auto query = [&](const char* key) -> std::optional<std::string> {
    auto it = request.query.find(key);
    if (it == request.query.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  if (auto state = query("state")) {
    filter.state = parse_state(*state);
    if (!filter.state) return invalid("state", "unknown saga state '" + *state + "'");
  }
  if (auto stuck = query("stuck")) {
    if (*stuck != "true" && *stuck != "false")
      return invalid("stuck", "stuck must be true or false");
    filter.stuck = *stuck == "true";
  }
  if (auto order_id = query("order_id")) {
    if (!commerce::core::is_uuid(*order_id)) return invalid("order_id", "order_id must be a UUID");
    filter.order_id = order_id;
  }
  if (auto cursor = query("cursor")) {
    if (!commerce::core::is_uuid(*cursor))
      return invalid("cursor", "cursor is not one we gave out");
    filter.after_id = cursor;
  }
  if (auto limit = query("limit")) {
    if (limit->size() > 3 || limit->find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(*limit) < 1 || std::stoul(*limit) > 500) {
      return invalid("limit", "limit must be an integer from 1 to 500");
    }
    filter.limit = std::stoul(*limit);
  }
  std::vector<SagaRow> rows;
  db_.read([&](pqxx::work& tx) { rows = sagas_.list(tx, filter); });
  auto items = nlohmann::json::array();
  for (const auto& row : rows) items.push_back(saga_json(row));
  nlohmann::json next = nullptr;
  if (rows.size() == filter.limit) next = rows.back().saga.id;
  return Response::json(200, {{"sagas", items}, {"next_cursor", next}});
}

Response OperatorRoutes::get(const Request& request) {
  const auto id = request.params.at("id");
  if (!commerce::core::is_uuid(id)) return Response::error(404, "not_found", "no saga " + id);
  std::optional<SagaRow> row;
  std::vector<SagaStepRow> steps;
  db_.read([&](pqxx::work& tx) {
    row = sagas_.find(tx, id);
    if (row) steps = sagas_.steps(tx, id);
  });
  if (!row) return Response::error(404, "not_found", "no saga " + id);
  auto body = saga_json(*row);
  auto history = nlohmann::json::array();
  for (const auto& s : steps) {
    history.push_back({{"at", s.at},
                       {"from_state", s.from_state ? nlohmann::json(*s.from_state) : nullptr},
                       {"to_state", s.to_state},
                       {"message_id", s.message_id ? nlohmann::json(*s.message_id) : nullptr},
                       {"note", s.note}});
  }
  body["steps"] = history;
  return Response::json(200, body);
}

Response OperatorRoutes::retry(const Request& request) {
  return act(request, OperatorAction::retry);
}

Response OperatorRoutes::compensate(const Request& request) {
  return act(request, OperatorAction::compensate);
}

// Locks the saga, lets the domain decide, and records the step and its commands (through the
// outbox) in one transaction, exactly as a reply or a timeout would.
Response OperatorRoutes::act(const Request& request, OperatorAction action) {
  const auto id = request.params.at("id");
  if (!commerce::core::is_uuid(id)) return Response::error(404, "not_found", "no saga " + id);
  std::optional<SagaRow> row;
  OperatorOutcome outcome;
  const auto now = Clock::now();
  db_.transact([&](pqxx::work& tx) {
    outcome = {};
    row = sagas_.lock(tx, id);
    if (!row) return;
    outcome = on_operator(row->saga, action, now, policy_);
    if (!outcome.decision) return;
    const auto& decision = *outcome.decision;
    sagas_.record(tx, *row, decision, std::nullopt, now);
    for (const auto& command : decision.commands) {
      auto envelope = commerce::bus::make_envelope(command.type, row->saga.merchant_id,
                                                   command.payload, nullptr, row->traceparent);
      envelope.correlation_id = row->correlation_id;
      commerce::store::append_outbox(tx, command_topic(command.type), row->saga.order_id, envelope);
    }
  });
  if (!row) return Response::error(404, "not_found", "no saga " + id);
  if (!outcome.decision) {
    return Response::error(409, outcome.refusal_code, outcome.refusal_message);
  }
  metrics_.observe(row->type, *outcome.decision, row->started_at, now);
  commerce::log::info(outcome.decision->note, {{"saga_id", id},
                                               {"order_id", row->saga.order_id},
                                               {"from", to_string(outcome.decision->from)},
                                               {"to", to_string(outcome.decision->to)}});
  // The saga as it is now, with its history.
  return get(request);
}

}  // namespace orchestration
