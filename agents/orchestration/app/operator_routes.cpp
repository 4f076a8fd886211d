#include "app/operator_routes.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "commerce/core/ids.hpp"
#include "commerce/http/http.hpp"
#include "commerce/store/store.hpp"

namespace orchestration {

using commerce::http::Request;
using commerce::http::Response;

namespace {

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

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
                               std::string operator_token)
    : db_(db), sagas_(sagas), operator_token_(std::move(operator_token)) {}

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
    if (!is_uuid(*order_id)) return invalid("order_id", "order_id must be a UUID");
    filter.order_id = order_id;
  }
  if (auto cursor = query("cursor")) {
    if (!is_uuid(*cursor)) return invalid("cursor", "cursor is not one we gave out");
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
  if (!is_uuid(id)) return Response::error(404, "not_found", "no saga " + id);
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

}  // namespace orchestration
