#include "app/http_routes.hpp"

#include <nlohmann/json.hpp>

#include "commerce/bus/envelope.hpp"
#include "commerce/bus/topics.hpp"
#include "commerce/core/ids.hpp"
#include "domain/api_keys.hpp"
#include "domain/events.hpp"

namespace merchant {

using commerce::http::Request;
using commerce::http::Response;
using nlohmann::json;

namespace {

const std::string kEventsTopic = commerce::bus::topics::events("merchant");

Response unauthenticated() {
  return Response::error(401, "unauthenticated", "a valid operator token is required");
}

// Issues a new key for `merchant_id` in `tx` and queues its ApiKeyCreated event.
json issue_api_key(pqxx::work& tx, MerchantRepository& merchants, const std::string& merchant_id,
                   const std::string& traceparent) {
  const GeneratedApiKey generated = generate_api_key();
  const std::string key_id = commerce::core::uuid_v7();
  merchants.insert_api_key(tx, key_id, merchant_id, generated.hash, generated.prefix);
  commerce::store::append_outbox(
      tx, kEventsTopic, merchant_id,
      commerce::bus::make_envelope(
          events::kApiKeyCreated, merchant_id,
          events::api_key_created(key_id, merchant_id, generated.hash, generated.prefix), nullptr,
          traceparent));
  return {{"id", key_id}, {"key", generated.key}, {"prefix", generated.prefix}};
}

}  // namespace

HttpRoutes::HttpRoutes(commerce::store::ConnectionPool& db, MerchantRepository& merchants,
                       std::string operator_token)
    : db_(db), merchants_(merchants), operator_token_(std::move(operator_token)) {}

void HttpRoutes::register_on(commerce::http::Router& router) {
  router.add("POST", "/v1/merchants", [this](const Request& r) { return create_merchant(r); });
  router.add("GET", "/v1/merchants/me", [this](const Request& r) { return me(r); });
  router.add("POST", "/v1/merchants/{id}/api-keys",
             [this](const Request& r) { return create_api_key(r); });
  router.add("DELETE", "/v1/merchants/{id}/api-keys/{key_id}",
             [this](const Request& r) { return revoke_api_key(r); });
}

bool HttpRoutes::authorized_operator(const Request& request) const {
  return is_operator(request.header("Authorization"), operator_token_);
}

Response HttpRoutes::create_merchant(const Request& request) {
  if (!authorized_operator(request)) return unauthenticated();
  json body;
  if (auto error = commerce::http::parse_json(request, body)) return *error;
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string()) {
    return Response::error(422, "validation_failed", "name: a string is required");
  }
  const std::string name = normalize_merchant_name(body["name"].get<std::string>());
  if (auto problem = validate_merchant_name(name)) {
    return Response::error(422, "validation_failed", *problem);
  }
  json answer;
  const std::string traceparent = request.header("traceparent");
  db_.transact([&](pqxx::work& tx) {
    const std::string merchant_id = commerce::core::uuid_v7();
    const MerchantRow merchant = merchants_.insert_merchant(tx, merchant_id, name);
    commerce::store::append_outbox(
        tx, kEventsTopic, merchant_id,
        commerce::bus::make_envelope(events::kMerchantCreated, merchant_id,
                                     events::merchant_created(merchant_id, name), nullptr,
                                     traceparent));
    answer = {{"merchant",
               {{"id", merchant.id}, {"name", merchant.name}, {"created_at", merchant.created_at}}},
              {"api_key", issue_api_key(tx, merchants_, merchant_id, traceparent)}};
  });
  return Response::json(201, answer);
}

Response HttpRoutes::create_api_key(const Request& request) {
  if (!authorized_operator(request)) return unauthenticated();
  const std::string merchant_id = request.params.at("id");
  std::optional<json> answer;
  db_.transact([&](pqxx::work& tx) {
    if (!merchants_.find_merchant(tx, merchant_id)) return;
    answer = issue_api_key(tx, merchants_, merchant_id, request.header("traceparent"));
  });
  if (!answer) return Response::error(404, "not_found", "merchant " + merchant_id + " not found");
  return Response::json(201, *answer);
}

Response HttpRoutes::revoke_api_key(const Request& request) {
  if (!authorized_operator(request)) return unauthenticated();
  const std::string merchant_id = request.params.at("id");
  const std::string key_id = request.params.at("key_id");
  bool found = false;
  db_.transact([&](pqxx::work& tx) {
    const auto revoked = merchants_.revoke_api_key(tx, merchant_id, key_id);
    if (!revoked) return;
    found = true;
    if (!revoked->newly_revoked) return;  // revoking twice is harmless and says nothing new
    commerce::store::append_outbox(
        tx, kEventsTopic, merchant_id,
        commerce::bus::make_envelope(
            events::kApiKeyRevoked, merchant_id,
            events::api_key_revoked(key_id, merchant_id, revoked->key_hash), nullptr,
            request.header("traceparent")));
  });
  if (!found) return Response::error(404, "not_found", "api key " + key_id + " not found");
  Response response;
  response.status = 204;
  return response;
}

Response HttpRoutes::me(const Request& request) {
  const std::string merchant_id = request.header("X-Merchant-Id");
  if (merchant_id.empty()) {
    return Response::error(401, "unauthenticated", "X-Merchant-Id is required");
  }
  std::optional<MerchantRow> merchant;
  std::vector<ApiKeyRow> keys;
  db_.read([&](pqxx::work& tx) {
    merchant = merchants_.find_merchant(tx, merchant_id);
    if (merchant) keys = merchants_.list_api_keys(tx, merchant_id);
  });
  if (!merchant) return Response::error(404, "not_found", "merchant not found");
  json key_list = json::array();
  for (const auto& k : keys) {
    key_list.push_back({{"id", k.id},
                        {"prefix", k.prefix},
                        {"created_at", k.created_at},
                        {"revoked_at", k.revoked_at ? json(*k.revoked_at) : json(nullptr)}});
  }
  return Response::json(200, {{"id", merchant->id},
                              {"name", merchant->name},
                              {"created_at", merchant->created_at},
                              {"api_keys", key_list}});
}

}  // namespace merchant
