#include "app/price_catalogue.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "commerce/core/money.hpp"
#include "commerce/http/http.hpp"
#include "commerce/store/store.hpp"

namespace order {

Catalogue PriceCatalogueRepository::find(pqxx::transaction_base& tx, const std::string& merchant_id,
                                         const std::vector<std::string>& skus) {
  Catalogue catalogue;
  if (skus.empty()) return catalogue;
  // Pass the SKUs as a JSON array: no array quoting rules to get wrong.
  auto rows = commerce::store::exec(
      tx,
      "SELECT sku, product_id, title, amount_minor, currency, active FROM product_prices "
      "WHERE merchant_id = $1 AND sku IN (SELECT jsonb_array_elements_text($2::jsonb))",
      merchant_id, nlohmann::json(skus).dump());
  for (const auto& row : rows) {
    CatalogueEntry e;
    e.sku = row[0].as<std::string>();
    e.product_id = row[1].as<std::string>();
    e.title = row[2].as<std::string>();
    e.price = Money{row[3].as<std::int64_t>(), row[4].as<std::string>()};
    e.active = row[5].as<bool>();
    catalogue.emplace(e.sku, std::move(e));
  }
  return catalogue;
}

void PriceCatalogueRepository::apply_product_event(pqxx::work& tx, const std::string& merchant_id,
                                                   const CatalogueEntry& e,
                                                   const std::string& occurred_at) {
  commerce::store::exec0(
      tx,
      "INSERT INTO product_prices (merchant_id, sku, product_id, title, amount_minor, currency, "
      "active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
      "COALESCE(NULLIF($8, '')::timestamptz, clock_timestamp())) "
      "ON CONFLICT (merchant_id, sku) DO UPDATE SET product_id = EXCLUDED.product_id, "
      "title = EXCLUDED.title, amount_minor = EXCLUDED.amount_minor, "
      "currency = EXCLUDED.currency, active = EXCLUDED.active, updated_at = EXCLUDED.updated_at "
      "WHERE product_prices.updated_at <= EXCLUDED.updated_at",
      merchant_id, e.sku, e.product_id, e.title, e.price.amount_minor, e.price.currency, e.active,
      occurred_at);
}

void PriceCatalogueRepository::remember(pqxx::work& tx, const std::string& merchant_id,
                                        const CatalogueEntry& e) {
  commerce::store::exec0(
      tx,
      "INSERT INTO product_prices (merchant_id, sku, product_id, title, amount_minor, currency, "
      "active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, clock_timestamp()) "
      "ON CONFLICT (merchant_id, sku) DO NOTHING",
      merchant_id, e.sku, e.product_id, e.title, e.price.amount_minor, e.price.currency, e.active);
}

std::string PriceCache::key(const std::string& merchant_id, const std::string& sku) {
  std::string k;
  k.reserve(merchant_id.size() + sku.size() + 1);
  k.append(merchant_id).push_back('\0');  // neither holds a NUL
  return k.append(sku);
}

std::optional<Catalogue> PriceCache::find(const std::string& merchant_id,
                                          const std::vector<std::string>& skus) const {
  Catalogue found;
  std::lock_guard lock(mutex_);
  for (const auto& sku : skus) {
    auto it = entries_.find(key(merchant_id, sku));
    if (it == entries_.end()) return std::nullopt;
    found.emplace(sku, it->second);
  }
  return found;
}

void PriceCache::remember(const std::string& merchant_id, const Catalogue& entries) {
  std::lock_guard lock(mutex_);
  // Bounded the simple way: a full cache starts again (each entry costs one read to relearn).
  if (entries_.size() + entries.size() > capacity_) entries_.clear();
  for (const auto& [sku, entry] : entries) entries_.insert_or_assign(key(merchant_id, sku), entry);
}

void PriceCache::forget(const std::string& merchant_id, const std::vector<std::string>& skus) {
  std::lock_guard lock(mutex_);
  for (const auto& sku : skus) entries_.erase(key(merchant_id, sku));
}

std::optional<CatalogueEntry> catalogue_entry_from_json(const nlohmann::json& p) {
  if (!p.is_object()) return std::nullopt;
  CatalogueEntry e;
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = p.find(key);
    if (it == p.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto sku = text("sku");
  auto product_id = text("product_id");
  if (!product_id) product_id = text("id");
  if (!sku || sku->empty() || !product_id) return std::nullopt;
  e.sku = *sku;
  e.product_id = *product_id;
  e.title = text("title").value_or(text("name").value_or(*sku));
  auto price = p.find("price");
  if (price == p.end() || !price->is_object()) return std::nullopt;
  auto amount = price->find("amount_minor");
  auto currency = price->find("currency");
  if (amount == price->end() || !amount->is_number_integer() || currency == price->end() ||
      !currency->is_string()) {
    return std::nullopt;
  }
  e.price = Money{amount->get<std::int64_t>(), currency->get<std::string>()};
  if (e.price.amount_minor < 0 || !commerce::core::is_currency_code(e.price.currency)) {
    return std::nullopt;
  }
  auto active = p.find("active");
  if (active != p.end() && active->is_boolean()) {
    e.active = active->get<bool>();
  } else if (auto status = text("status")) {
    e.active = *status == "active";
  }
  return e;
}

ProductDirectory::ProductDirectory(commerce::http::Client& client, std::string base_url)
    : client_(client), base_url_(std::move(base_url)) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

namespace {

std::string percent_encode(const std::string& segment) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : segment) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::optional<CatalogueEntry> ProductDirectory::lookup(const std::string& merchant_id,
                                                       const std::string& sku) {
  if (base_url_.empty()) return std::nullopt;
  commerce::http::Headers headers;
  headers.set("X-Merchant-Id", merchant_id);
  commerce::http::Response response;
  try {
    response = client_.get(base_url_ + "/internal/skus/" + percent_encode(sku), headers);
  } catch (const std::exception& e) {
    throw ProductDirectoryUnavailable(std::string("product agent unreachable: ") + e.what());
  }
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) {
    throw ProductDirectoryUnavailable("product agent answered " + std::to_string(response.status));
  }
  auto body = nlohmann::json::parse(response.body, nullptr, false);
  auto entry = catalogue_entry_from_json(body);
  if (!entry || entry->sku != sku) {
    throw ProductDirectoryUnavailable("product agent answered an unreadable product");
  }
  return entry;
}

}  // namespace order
