#pragma once
// SQL for product.products, inside the caller's transaction. Every query is merchant-scoped.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "domain/product.hpp"

namespace product {

class ProductRepository {
 public:
  // nullopt when the merchant already has the SKU.
  std::optional<Product> insert(pqxx::work& tx, const std::string& merchant_id,
                                const std::string& id, const NewProduct& p) const;
  std::optional<Product> find(pqxx::work& tx, const std::string& merchant_id, const std::string& id,
                              bool for_update = false) const;
  std::optional<Product> find_by_sku(pqxx::work& tx, const std::string& merchant_id,
                                     const std::string& sku) const;
  // Up to `limit` products with id > after (all when after is empty), by id.
  std::vector<Product> list(pqxx::work& tx, const std::string& merchant_id,
                            const std::optional<std::string>& after, int limit) const;
  // Writes title, price and active; returns the stored row (with its new updated_at).
  Product update(pqxx::work& tx, const std::string& merchant_id, const Product& p) const;
};

}  // namespace product
