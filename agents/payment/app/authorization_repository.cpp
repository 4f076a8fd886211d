#include "app/authorization_repository.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "commerce/store/store.hpp"

namespace payment {

namespace {

const char* kTime = "YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"";

}  // namespace

namespace {

// What is on file, from (status, authorization_id, decline_reason, voided_at IS NOT NULL) at
// `first` onwards.
AuthorizationOnFile on_file_from(const pqxx::row& r, int first) {
  AuthorizationOnFile on_file;
  const auto status = r[first].as<std::string>();
  if (status == "authorized") {
    on_file.status = AuthorizationStatus::authorized;
  } else if (status == "declined") {
    on_file.status = AuthorizationStatus::declined;
  } else {
    on_file.status = AuthorizationStatus::voided;
  }
  if (!r[first + 1].is_null()) on_file.authorization_id = r[first + 1].as<std::string>();
  on_file.late_authorize_refused = on_file.status == AuthorizationStatus::voided &&
                                   !on_file.authorization_id && !r[first + 2].is_null() &&
                                   r[first + 2].as<std::string>() == "voided";
  on_file.void_acknowledged = r[first + 3].as<bool>();
  return on_file;
}

std::string lock_key(const std::string& merchant_id, const std::string& order_id) {
  return merchant_id + "/" + order_id;
}

}  // namespace

std::optional<AuthorizationOnFile> AuthorizationRepository::lock(
    pqxx::work& tx, const std::string& merchant_id, const std::string& order_id) const {
  commerce::store::exec(tx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                        lock_key(merchant_id, order_id));
  auto r = commerce::store::exec(
      tx,
      "SELECT status, authorization_id, decline_reason, voided_at IS NOT NULL "
      "FROM authorizations WHERE merchant_id = $1 AND order_id = $2 FOR UPDATE",
      merchant_id, order_id);
  if (r.empty()) return std::nullopt;
  return on_file_from(r[0], 0);
}

std::map<OrderKey, AuthorizationOnFile> AuthorizationRepository::lock_all(
    pqxx::work& tx, const std::vector<OrderKey>& orders) const {
  std::map<OrderKey, AuthorizationOnFile> out;
  if (orders.empty()) return out;
  std::vector<std::string> keys, merchants, order_ids;
  for (const auto& o : orders) {
    keys.push_back(lock_key(o.merchant_id, o.order_id));
    merchants.push_back(o.merchant_id);
    order_ids.push_back(o.order_id);
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  // A function scan yields the array in order, and the aggregate takes each lock as it comes.
  commerce::store::exec(
      tx, "SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) k",
      commerce::store::array_literal(keys));
  // Read after the locks are held (a statement of its own): what a concurrent holder committed
  // is seen.
  const auto r = commerce::store::exec(
      tx,
      "SELECT merchant_id, order_id, status, authorization_id, decline_reason, "
      "voided_at IS NOT NULL FROM authorizations "
      "WHERE order_id = ANY($1::text[]) AND merchant_id = ANY($2::text[]) FOR UPDATE",
      commerce::store::array_literal(order_ids), commerce::store::array_literal(merchants));
  for (const auto& row : r) {
    out.emplace(OrderKey{row[0].as<std::string>(), row[1].as<std::string>()}, on_file_from(row, 2));
  }
  return out;
}

void AuthorizationRepository::insert_answers(pqxx::work& tx,
                                             const std::vector<ProviderAnswer>& answers) const {
  if (answers.empty()) return;
  // One text array per column; "" stands for NULL in the two nullable ones (an approved
  // authorization has no decline reason, a declined one no authorization id).
  std::vector<std::string> merchants, orders, authorization_ids, amounts, currencies, statuses,
      reasons, codes, providers;
  for (const auto& a : answers) {
    merchants.push_back(a.order.merchant_id);
    orders.push_back(a.order.order_id);
    authorization_ids.push_back(a.approved ? a.authorization_id : "");
    amounts.push_back(std::to_string(a.amount.amount_minor));
    currencies.push_back(a.amount.currency);
    statuses.push_back(a.approved ? "authorized" : "declined");
    reasons.push_back(a.approved ? "" : a.decline_reason);
    codes.push_back(a.provider_code);
    providers.push_back(a.provider);
  }
  using commerce::store::array_literal;
  commerce::store::exec(
      tx,
      "INSERT INTO authorizations (merchant_id, order_id, authorization_id, amount_minor, "
      "currency, status, decline_reason, provider_code, provider) "
      "SELECT merchant_id, order_id, NULLIF(authorization_id, ''), amount_minor, currency, "
      "status, NULLIF(decline_reason, ''), provider_code, provider "
      "FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], "
      "$7::text[], $8::text[], $9::text[]) AS a(merchant_id, order_id, authorization_id, "
      "amount_minor, currency, status, decline_reason, provider_code, provider)",
      array_literal(merchants), array_literal(orders), array_literal(authorization_ids),
      array_literal(amounts), array_literal(currencies), array_literal(statuses),
      array_literal(reasons), array_literal(codes), array_literal(providers));
}

void AuthorizationRepository::insert_tombstone(pqxx::work& tx, const std::string& merchant_id,
                                               const std::string& order_id,
                                               const std::string& provider) const {
  commerce::store::exec(
      tx,
      "INSERT INTO authorizations (merchant_id, order_id, status, provider, voided_at) "
      "VALUES ($1, $2, 'voided', $3, now())",
      merchant_id, order_id, provider);
}

void AuthorizationRepository::mark_late_authorize_refused(pqxx::work& tx,
                                                          const std::string& merchant_id,
                                                          const std::string& order_id) const {
  commerce::store::exec(tx,
                        "UPDATE authorizations SET decline_reason = 'voided' "
                        "WHERE merchant_id = $1 AND order_id = $2",
                        merchant_id, order_id);
}

void AuthorizationRepository::mark_voided(pqxx::work& tx, const std::string& merchant_id,
                                          const std::string& order_id, bool set_status) const {
  commerce::store::exec(tx,
                        "UPDATE authorizations SET voided_at = now(), "
                        "status = CASE WHEN $3 THEN 'voided' ELSE status END "
                        "WHERE merchant_id = $1 AND order_id = $2",
                        merchant_id, order_id, set_status);
}

std::optional<commerce::core::Money> AuthorizationRepository::amount(
    pqxx::work& tx, const std::string& merchant_id, const std::string& order_id) const {
  auto r = commerce::store::exec(
      tx,
      "SELECT amount_minor, currency FROM authorizations WHERE merchant_id = $1 AND order_id = $2 "
      "AND amount_minor IS NOT NULL",
      merchant_id, order_id);
  if (r.empty()) return std::nullopt;
  return commerce::core::Money{r[0][0].as<std::int64_t>(), r[0][1].as<std::string>()};
}

std::optional<nlohmann::json> AuthorizationRepository::view(pqxx::work& tx,
                                                            const std::string& merchant_id,
                                                            const std::string& order_id) const {
  auto r = commerce::store::exec(
      tx,
      std::string("SELECT order_id, status, authorization_id, amount_minor, currency, "
                  "decline_reason, provider_code, provider, "
                  "to_char(created_at AT TIME ZONE 'UTC', '") +
          kTime + "'), to_char(voided_at AT TIME ZONE 'UTC', '" + kTime +
          "') FROM authorizations WHERE merchant_id = $1 AND order_id = $2",
      merchant_id, order_id);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  auto text_or_null = [](const pqxx::field& f) {
    return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.as<std::string>());
  };
  nlohmann::json amount = nullptr;
  if (!row[3].is_null()) {
    amount = {{"amount_minor", row[3].as<std::int64_t>()}, {"currency", row[4].as<std::string>()}};
  }
  return nlohmann::json{
      {"order_id", row[0].as<std::string>()},     {"status", row[1].as<std::string>()},
      {"authorization_id", text_or_null(row[2])}, {"amount", amount},
      {"decline_reason", text_or_null(row[5])},   {"provider_code", text_or_null(row[6])},
      {"provider", row[7].as<std::string>()},     {"created_at", text_or_null(row[8])},
      {"voided_at", text_or_null(row[9])}};
}

}  // namespace payment
