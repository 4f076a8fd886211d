#pragma once
// SQL for payment.authorizations, inside the caller's transaction.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "commerce/core/money.hpp"
#include "domain/decisions.hpp"

namespace payment {

class AuthorizationRepository {
 public:
  // Serialises work on one order across instances (transaction advisory lock), then reads what
  // is on file. Held until the transaction ends, so the provider is called at most once.
  std::optional<AuthorizationOnFile> lock(pqxx::work& tx, const std::string& merchant_id,
                                          const std::string& order_id) const;
  void insert_authorized(pqxx::work& tx, const std::string& merchant_id,
                         const std::string& order_id, const std::string& authorization_id,
                         const commerce::core::Money& amount, const std::string& provider,
                         const std::string& provider_code) const;
  void insert_declined(pqxx::work& tx, const std::string& merchant_id, const std::string& order_id,
                       const commerce::core::Money& amount, const std::string& reason,
                       const std::string& provider_code, const std::string& provider) const;
  void insert_tombstone(pqxx::work& tx, const std::string& merchant_id, const std::string& order_id,
                        const std::string& provider) const;
  // Tombstone: a late AuthorizePayment was refused.
  void mark_late_authorize_refused(pqxx::work& tx, const std::string& merchant_id,
                                   const std::string& order_id) const;
  // voided_at = now(), and status 'voided' when `set_status`.
  void mark_voided(pqxx::work& tx, const std::string& merchant_id, const std::string& order_id,
                   bool set_status) const;
  std::optional<commerce::core::Money> amount(pqxx::work& tx, const std::string& merchant_id,
                                              const std::string& order_id) const;
  // The operator's view of an order's authorization, or nullopt.
  std::optional<nlohmann::json> view(pqxx::work& tx, const std::string& merchant_id,
                                     const std::string& order_id) const;
};

}  // namespace payment
