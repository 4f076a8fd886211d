#pragma once
// SQL for payment.authorizations, inside the caller's transaction.
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "commerce/core/money.hpp"
#include "domain/decisions.hpp"

namespace payment {

struct OrderKey {
  std::string merchant_id;
  std::string order_id;
  auto operator<=>(const OrderKey&) const = default;
};

// A row for an authorization the provider answered: approved, or declined with a reason.
struct ProviderAnswer {
  OrderKey order;
  bool approved = false;
  std::string authorization_id;  // when approved
  std::string decline_reason;    // when declined
  commerce::core::Money amount;
  std::string provider_code;
  std::string provider;
};

class AuthorizationRepository {
 public:
  // lock() for a batch of orders in two statements: the advisory locks in key order (so two
  // batches cannot deadlock), then what is on file for each.
  std::map<OrderKey, AuthorizationOnFile> lock_all(pqxx::work& tx,
                                                   const std::vector<OrderKey>& orders) const;
  // The provider's answers as authorization rows, in one statement.
  void insert_answers(pqxx::work& tx, const std::vector<ProviderAnswer>& answers) const;
  // Serialises work on one order across instances (transaction advisory lock), then reads what
  // is on file. Held until the transaction ends, so the provider is called at most once.
  std::optional<AuthorizationOnFile> lock(pqxx::work& tx, const std::string& merchant_id,
                                          const std::string& order_id) const;
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
