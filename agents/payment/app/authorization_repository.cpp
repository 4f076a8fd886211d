#include "app/authorization_repository.hpp"

#include <nlohmann/json.hpp>

#include "commerce/store/store.hpp"

namespace payment {

namespace {

const char* kTime = "YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"";

}  // namespace

std::optional<AuthorizationOnFile> AuthorizationRepository::lock(
    pqxx::work& tx, const std::string& merchant_id, const std::string& order_id) const {
  commerce::store::exec(tx, "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2, 0))",
                        merchant_id, order_id);
  auto r = commerce::store::exec(
      tx,
      "SELECT status, authorization_id, decline_reason, voided_at IS NOT NULL "
      "FROM authorizations WHERE merchant_id = $1 AND order_id = $2 FOR UPDATE",
      merchant_id, order_id);
  if (r.empty()) return std::nullopt;
  AuthorizationOnFile on_file;
  const auto status = r[0][0].as<std::string>();
  if (status == "authorized") {
    on_file.status = AuthorizationStatus::authorized;
  } else if (status == "declined") {
    on_file.status = AuthorizationStatus::declined;
  } else {
    on_file.status = AuthorizationStatus::voided;
  }
  if (!r[0][1].is_null()) on_file.authorization_id = r[0][1].as<std::string>();
  on_file.late_authorize_refused = on_file.status == AuthorizationStatus::voided &&
                                   !on_file.authorization_id && !r[0][2].is_null() &&
                                   r[0][2].as<std::string>() == "voided";
  on_file.void_acknowledged = r[0][3].as<bool>();
  return on_file;
}

void AuthorizationRepository::insert_authorized(pqxx::work& tx, const std::string& merchant_id,
                                                const std::string& order_id,
                                                const std::string& authorization_id,
                                                const commerce::core::Money& amount,
                                                const std::string& provider,
                                                const std::string& provider_code) const {
  commerce::store::exec(
      tx,
      "INSERT INTO authorizations (merchant_id, order_id, authorization_id, amount_minor, "
      "currency, status, provider_code, provider) VALUES ($1, $2, $3, $4, $5, 'authorized', $6, "
      "$7)",
      merchant_id, order_id, authorization_id, amount.amount_minor, amount.currency, provider_code,
      provider);
}

void AuthorizationRepository::insert_declined(pqxx::work& tx, const std::string& merchant_id,
                                              const std::string& order_id,
                                              const commerce::core::Money& amount,
                                              const std::string& reason,
                                              const std::string& provider_code,
                                              const std::string& provider) const {
  commerce::store::exec(
      tx,
      "INSERT INTO authorizations (merchant_id, order_id, amount_minor, currency, status, "
      "decline_reason, provider_code, provider) VALUES ($1, $2, $3, $4, 'declined', $5, $6, $7)",
      merchant_id, order_id, amount.amount_minor, amount.currency, reason, provider_code, provider);
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
