#pragma once
// Operator API on the orchestration API port (not under /v1: operators only, never merchants).
//   GET /sagas?state=&stuck=true&order_id=&limit=&cursor=   GET /sagas/{id}
//   POST /sagas/{id}/retry        the current step's command again, with a fresh deadline
//   POST /sagas/{id}/compensate   undo what was done and cancel the order
// The decisions are the domain's (on_operator); a refusal is a 409.
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "app/saga_metrics.hpp"
#include "app/saga_repository.hpp"

namespace commerce::http {
class Router;
struct Request;
struct Response;
}  // namespace commerce::http
namespace commerce::store {
class ConnectionPool;
}

namespace orchestration {

class OperatorRoutes {
 public:
  // With an operator token, every call must carry "Authorization: Bearer <token>".
  OperatorRoutes(commerce::store::ConnectionPool& db, SagaRepository& sagas, SagaMetrics& metrics,
                 SagaPolicy policy, std::string operator_token);
  void register_on(commerce::http::Router& router);
  commerce::http::Response list(const commerce::http::Request& request);
  commerce::http::Response get(const commerce::http::Request& request);
  commerce::http::Response retry(const commerce::http::Request& request);
  commerce::http::Response compensate(const commerce::http::Request& request);

 private:
  commerce::store::ConnectionPool& db_;
  commerce::http::Response act(const commerce::http::Request& request, OperatorAction action);

  SagaRepository& sagas_;
  SagaMetrics& metrics_;
  SagaPolicy policy_;
  std::string operator_token_;
};

nlohmann::json saga_json(const SagaRow& row);

}  // namespace orchestration
