#include "app/product_repository.hpp"

#include "commerce/store/store.hpp"

namespace product {

namespace {

const std::string kColumns =
    "id::text, sku, title, amount_minor, currency, active, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')";

Product from_row(const pqxx::row& r) {
  Product p;
  p.id = r[0].as<std::string>();
  p.sku = r[1].as<std::string>();
  p.title = r[2].as<std::string>();
  p.price = {r[3].as<std::int64_t>(), r[4].as<std::string>()};
  p.active = r[5].as<bool>();
  p.created_at = r[6].as<std::string>();
  p.updated_at = r[7].as<std::string>();
  return p;
}

}  // namespace

std::optional<Product> ProductRepository::insert(pqxx::work& tx, const std::string& merchant_id,
                                                 const std::string& id, const NewProduct& p) const {
  auto r = commerce::store::exec(
      tx,
      "INSERT INTO products (id, merchant_id, sku, title, amount_minor, currency, active) "
      "VALUES ($1::uuid, $2, $3, $4, $5, $6, $7) ON CONFLICT (merchant_id, sku) DO NOTHING "
      "RETURNING " +
          kColumns,
      id, merchant_id, p.sku, p.title, p.price.amount_minor, p.price.currency, p.active);
  if (r.empty()) return std::nullopt;
  return from_row(r[0]);
}

std::optional<Product> ProductRepository::find(pqxx::work& tx, const std::string& merchant_id,
                                               const std::string& id, bool for_update) const {
  auto r = commerce::store::exec(
      tx,
      "SELECT " + kColumns + " FROM products WHERE id = $2::uuid AND (merchant_id = $1) IS TRUE" +
          (for_update ? " FOR UPDATE" : ""),
      merchant_id, id);
  if (r.empty()) return std::nullopt;
  return from_row(r[0]);
}

std::optional<Product> ProductRepository::find_by_sku(pqxx::work& tx,
                                                      const std::string& merchant_id,
                                                      const std::string& sku) const {
  auto r = commerce::store::exec(
      tx, "SELECT " + kColumns + " FROM products WHERE merchant_id = $1 AND sku = $2", merchant_id,
      sku);
  if (r.empty()) return std::nullopt;
  return from_row(r[0]);
}

std::vector<Product> ProductRepository::list(pqxx::work& tx, const std::string& merchant_id,
                                             const std::optional<std::string>& after,
                                             int limit) const {
  auto r =
      after
          ? commerce::store::exec(tx,
                                  "SELECT " + kColumns +
                                      " FROM products WHERE merchant_id = $1 AND id > $2::uuid "
                                      "ORDER BY id LIMIT $3",
                                  merchant_id, *after, limit)
          : commerce::store::exec(
                tx,
                "SELECT " + kColumns + " FROM products WHERE merchant_id = $1 ORDER BY id LIMIT $2",
                merchant_id, limit);
  std::vector<Product> out;
  for (const auto& row : r) out.push_back(from_row(row));
  return out;
}

Product ProductRepository::update(pqxx::work& tx, const std::string& merchant_id,
                                  const Product& p) const {
  auto r = commerce::store::exec(
      tx,
      "UPDATE products SET title = $3, amount_minor = $4, currency = $5, active = $6, "
      "updated_at = now() WHERE id = $2::uuid AND (merchant_id = $1) IS TRUE RETURNING " +
          kColumns,
      merchant_id, p.id, p.title, p.price.amount_minor, p.price.currency, p.active);
  return from_row(r.at(0));
}

}  // namespace product
