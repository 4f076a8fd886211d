#pragma once
// The order agent's own price catalogue (product_prices), fed by product events, and the
// product agent's internal API asked on a miss.
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "domain/pricing.hpp"

namespace commerce::http {
class Client;
}

namespace order {

class PriceCatalogueRepository {
 public:
  Catalogue find(pqxx::transaction_base& tx, const std::string& merchant_id,
                 const std::vector<std::string>& skus);
  // From a product event: newer information wins (by the event's time).
  void apply_product_event(pqxx::work& tx, const std::string& merchant_id,
                           const CatalogueEntry& entry, const std::string& occurred_at);
  // Learnt from the product agent on a miss; an event that arrived meanwhile wins.
  void remember(pqxx::work& tx, const std::string& merchant_id, const CatalogueEntry& entry);
};

// Catalogue entries this process has read, so placing an order need not read them first. An entry
// may be stale (another instance applied a product event): the placing statement checks that
// every entry it priced from still matches product_prices, and places nothing otherwise.
class PriceCache {
 public:
  explicit PriceCache(std::size_t capacity = 100'000) : capacity_(capacity) {}
  // An entry for each of `skus`, or nullopt unless all are held.
  std::optional<Catalogue> find(const std::string& merchant_id,
                                const std::vector<std::string>& skus) const;
  void remember(const std::string& merchant_id, const Catalogue& entries);
  void forget(const std::string& merchant_id, const std::vector<std::string>& skus);

 private:
  static std::string key(const std::string& merchant_id, const std::string& sku);
  mutable std::mutex mutex_;
  std::size_t capacity_;
  std::unordered_map<std::string, CatalogueEntry> entries_;
};

// The product agent could not be asked (down, timed out, or answered nonsense).
class ProductDirectoryUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// GET {AGENT_URL_PRODUCT}/internal/skus/{sku} with X-Merchant-Id.
class ProductDirectory {
 public:
  // base_url empty: no product agent configured; every miss is an unknown SKU.
  ProductDirectory(commerce::http::Client& client, std::string base_url);
  // nullopt when the product agent does not know the SKU (404).
  std::optional<CatalogueEntry> lookup(const std::string& merchant_id, const std::string& sku);

 private:
  commerce::http::Client& client_;
  std::string base_url_;
};

// Parses {product_id, sku, title, price:{amount_minor, currency}, active} (product events and
// the product agent's answer); nullopt when malformed.
std::optional<CatalogueEntry> catalogue_entry_from_json(const nlohmann::json& product);

}  // namespace order
