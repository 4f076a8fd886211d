#include "app/stock_repository.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <tuple>

#include "commerce/store/store.hpp"

namespace inventory {

namespace {

const char* status_name(ReservationStatus status) {
  switch (status) {
    case ReservationStatus::reserved:
      return "reserved";
    case ReservationStatus::released:
      return "released";
    case ReservationStatus::rejected:
      return "rejected";
    case ReservationStatus::none:
      break;
  }
  throw std::logic_error("no status to store for 'none'");
}

ReservationStatus parse_status(const std::string& s) {
  if (s == "reserved") return ReservationStatus::reserved;
  if (s == "released") return ReservationStatus::released;
  if (s == "rejected") return ReservationStatus::rejected;
  throw std::runtime_error("unknown reservation status in database: " + s);
}

StockLevel level_from(const pqxx::row& r) {
  return StockLevel{r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::int64_t>(),
                    r[3].as<std::int64_t>()};
}

}  // namespace

std::optional<ReservationRecord> StockRepository::lock_reservation(
    pqxx::work& tx, const std::string& merchant_id, const std::string& order_id) const {
  auto r = commerce::store::exec(tx,
                                 "SELECT status, released_at IS NOT NULL FROM reservations "
                                 "WHERE merchant_id = $1 AND order_id = $2 FOR UPDATE",
                                 merchant_id, order_id);
  if (r.empty()) return std::nullopt;
  return ReservationRecord{parse_status(r[0][0].as<std::string>()), r[0][1].as<bool>()};
}

bool StockRepository::insert_reservation(pqxx::work& tx, const std::string& merchant_id,
                                         const std::string& order_id,
                                         ReservationStatus status) const {
  auto r =
      commerce::store::exec(tx,
                            "INSERT INTO reservations (merchant_id, order_id, status, released_at) "
                            "VALUES ($1, $2, $3, CASE WHEN $3::text = 'released' THEN now() END) "
                            "ON CONFLICT (merchant_id, order_id) DO NOTHING",
                            merchant_id, order_id, status_name(status));
  return r.affected_rows() == 1;
}

void StockRepository::set_status(pqxx::work& tx, const std::string& merchant_id,
                                 const std::string& order_id, ReservationStatus status) const {
  commerce::store::exec(
      tx,
      "UPDATE reservations SET status = $3, "
      "released_at = CASE WHEN $3::text = 'released' THEN now() ELSE released_at END "
      "WHERE merchant_id = $1 AND order_id = $2",
      merchant_id, order_id, status_name(status));
}

void StockRepository::mark_released(pqxx::work& tx, const std::string& merchant_id,
                                    const std::string& order_id) const {
  commerce::store::exec(
      tx, "UPDATE reservations SET released_at = now() WHERE merchant_id = $1 AND order_id = $2",
      merchant_id, order_id);
}

std::vector<Allocation> StockRepository::lines(pqxx::work& tx, const std::string& merchant_id,
                                               const std::string& order_id) const {
  auto r = commerce::store::exec(tx,
                                 "SELECT sku, location, quantity FROM reservation_lines "
                                 "WHERE merchant_id = $1 AND order_id = $2 ORDER BY sku, location",
                                 merchant_id, order_id);
  std::vector<Allocation> out;
  for (const auto& row : r) {
    out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::int64_t>()});
  }
  return out;
}

std::vector<StockLevel> StockRepository::lock_levels(pqxx::work& tx, const std::string& merchant_id,
                                                     const std::vector<std::string>& skus) const {
  // The SKU list travels as one JSON array parameter (libpqxx 6 has no array binding).
  auto r = commerce::store::exec(
      tx,
      "SELECT sku, location, on_hand, reserved FROM stock_levels "
      "WHERE merchant_id = $1 AND sku IN (SELECT jsonb_array_elements_text($2::jsonb)) "
      "ORDER BY sku, location FOR UPDATE",
      merchant_id, nlohmann::json(skus).dump());
  std::vector<StockLevel> out;
  for (const auto& row : r) out.push_back(level_from(row));
  return out;
}

std::optional<StockLevel> StockRepository::lock_level(pqxx::work& tx,
                                                      const std::string& merchant_id,
                                                      const std::string& sku,
                                                      const std::string& location) const {
  auto r = commerce::store::exec(tx,
                                 "SELECT sku, location, on_hand, reserved FROM stock_levels "
                                 "WHERE merchant_id = $1 AND sku = $2 AND location = $3 FOR UPDATE",
                                 merchant_id, sku, location);
  if (r.empty()) return std::nullopt;
  return level_from(r[0]);
}

std::vector<StockLevel> StockRepository::levels(pqxx::work& tx, const std::string& merchant_id,
                                                const std::string& sku) const {
  auto r = commerce::store::exec(tx,
                                 "SELECT sku, location, on_hand, reserved FROM stock_levels "
                                 "WHERE merchant_id = $1 AND sku = $2 ORDER BY location",
                                 merchant_id, sku);
  std::vector<StockLevel> out;
  for (const auto& row : r) out.push_back(level_from(row));
  return out;
}

void StockRepository::apply(pqxx::work& tx, const std::string& merchant_id,
                            const LevelChange& change, const std::string& reason,
                            const std::optional<std::string>& order_id) const {
  const auto& l = change.after;
  // The level and its ledger row in one statement: one round trip per change.
  commerce::store::exec(
      tx,
      "WITH level AS ("
      "  INSERT INTO stock_levels (merchant_id, sku, location, on_hand, reserved) "
      "  VALUES ($1, $2, $3, $4, $5) ON CONFLICT (merchant_id, sku, location) DO UPDATE "
      "  SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, updated_at = now() "
      "  RETURNING 1) "
      "INSERT INTO movements (merchant_id, sku, location, delta_on_hand, delta_reserved, reason, "
      "order_id) SELECT $1, $2, $3, $6, $7, $8, $9 FROM level",
      merchant_id, l.sku, l.location, l.on_hand, l.reserved, change.delta_on_hand,
      change.delta_reserved, reason, order_id ? order_id->c_str() : nullptr);
}

namespace {

// Changes as JSON rows for jsonb_to_recordset (libpqxx 6 has no array binding).
std::string changes_json(const std::vector<LevelChange>& changes) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& c : changes) {
    rows.push_back({{"sku", c.after.sku},
                    {"location", c.after.location},
                    {"on_hand", c.after.on_hand},
                    {"reserved", c.after.reserved},
                    {"delta_on_hand", c.delta_on_hand},
                    {"delta_reserved", c.delta_reserved}});
  }
  return rows.dump();
}

// Levels and their ledger rows for a set of changes (one change per level), as the tail of a
// WITH statement: merchant in $1, order in $2, the changes and the reason in the parameters given.
std::string apply_changes_sql(int changes_param, int reason_param) {
  const auto changes = "$" + std::to_string(changes_param);
  const auto reason = "$" + std::to_string(reason_param);
  return "c AS (SELECT * FROM jsonb_to_recordset(" + changes +
         "::jsonb) AS c(sku text, location text, "
         "  on_hand bigint, reserved bigint, delta_on_hand bigint, delta_reserved bigint)), "
         "level AS ("
         "  INSERT INTO stock_levels (merchant_id, sku, location, on_hand, reserved) "
         "  SELECT $1, sku, location, on_hand, reserved FROM c "
         "  ON CONFLICT (merchant_id, sku, location) DO UPDATE "
         "  SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, updated_at = now()) "
         "INSERT INTO movements (merchant_id, sku, location, delta_on_hand, delta_reserved, "
         "reason, "
         "order_id) SELECT $1, sku, location, delta_on_hand, delta_reserved, " +
         reason + ", $2 FROM c";
}

}  // namespace

std::set<MerchantOrder> StockRepository::claim_reservations(
    pqxx::work& tx, const std::vector<MerchantOrder>& orders) const {
  std::set<MerchantOrder> claimed;
  if (orders.empty()) return claimed;
  std::vector<std::string> merchant_ids, order_ids;
  for (const auto& o : orders) {
    merchant_ids.push_back(o.merchant_id);
    order_ids.push_back(o.order_id);
  }
  const auto r = commerce::store::exec(
      tx,
      "INSERT INTO reservations (merchant_id, order_id, status) "
      "SELECT merchant_id, order_id, 'rejected' "
      "FROM unnest($1::text[], $2::text[]) AS x(merchant_id, order_id) "
      "ON CONFLICT (merchant_id, order_id) DO NOTHING RETURNING merchant_id, order_id",
      commerce::store::array_literal(merchant_ids), commerce::store::array_literal(order_ids));
  for (const auto& row : r) claimed.insert({row[0].as<std::string>(), row[1].as<std::string>()});
  return claimed;
}

std::vector<MerchantLevel> StockRepository::lock_levels(
    pqxx::work& tx, const std::vector<std::string>& merchants,
    const std::vector<std::string>& skus) const {
  std::vector<MerchantLevel> out;
  if (merchants.empty() || skus.empty()) return out;
  // Both lists are index conditions on the primary key; a merchant's row for another merchant's
  // SKU may come along (and is locked needlessly), which batches of one merchant never see.
  const auto r = commerce::store::exec(
      tx,
      "SELECT sku, location, on_hand, reserved, merchant_id FROM stock_levels "
      "WHERE merchant_id = ANY($1::text[]) AND sku = ANY($2::text[]) "
      "ORDER BY merchant_id, sku, location FOR UPDATE",
      commerce::store::array_literal(merchants), commerce::store::array_literal(skus));
  out.reserve(r.size());
  for (const auto& row : r) out.push_back({row[4].as<std::string>(), level_from(row)});
  return out;
}

void StockRepository::commit_reservations(
    pqxx::work& tx, const std::vector<CommittedReservation>& reservations) const {
  if (reservations.empty()) return;
  // One text array per column: no JSON document built here or parsed there.
  using Column = std::vector<std::string>;
  Column merchant_ids, order_ids;
  Column line_merchants, line_orders, line_skus, line_locations, line_quantities;
  Column move_merchants, move_orders, move_skus, move_locations, move_on_hand, move_reserved;
  // A level reserved from by several orders of the batch is written once, as the last one left it.
  std::map<std::tuple<std::string, std::string, std::string>, StockLevel> levels;
  for (const auto& r : reservations) {
    const auto& m = r.order.merchant_id;
    merchant_ids.push_back(m);
    order_ids.push_back(r.order.order_id);
    for (const auto& a : r.allocations) {
      line_merchants.push_back(m);
      line_orders.push_back(r.order.order_id);
      line_skus.push_back(a.sku);
      line_locations.push_back(a.location);
      line_quantities.push_back(std::to_string(a.quantity));
    }
    for (const auto& c : r.changes) {
      levels[{m, c.after.sku, c.after.location}] = c.after;
      move_merchants.push_back(m);
      move_orders.push_back(r.order.order_id);
      move_skus.push_back(c.after.sku);
      move_locations.push_back(c.after.location);
      move_on_hand.push_back(std::to_string(c.delta_on_hand));
      move_reserved.push_back(std::to_string(c.delta_reserved));
    }
  }
  Column level_merchants, level_skus, level_locations, level_on_hand, level_reserved;
  for (const auto& [key, l] : levels) {
    level_merchants.push_back(std::get<0>(key));
    level_skus.push_back(l.sku);
    level_locations.push_back(l.location);
    level_on_hand.push_back(std::to_string(l.on_hand));
    level_reserved.push_back(std::to_string(l.reserved));
  }
  // Status, lines, levels and ledger for the whole batch in one statement. The reservations are
  // matched by index conditions on their unique key (order id first), then exactly by the pairs.
  static const std::string sql =
      "WITH r AS (SELECT * FROM unnest($1::text[], $2::text[]) AS r(merchant_id, order_id)), "
      "s AS (UPDATE reservations x SET status = 'reserved' FROM r "
      "  WHERE x.order_id = ANY($2::text[]) AND x.merchant_id = ANY($1::text[]) "
      "  AND x.merchant_id = r.merchant_id AND x.order_id = r.order_id), "
      "lines AS (INSERT INTO reservation_lines (merchant_id, order_id, sku, location, quantity) "
      "  SELECT merchant_id, order_id, sku, location, quantity "
      "  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[]) "
      "  AS x(merchant_id, order_id, sku, location, quantity)), "
      "level AS (INSERT INTO stock_levels (merchant_id, sku, location, on_hand, reserved) "
      "  SELECT merchant_id, sku, location, on_hand, reserved "
      "  FROM unnest($8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[]) "
      "  AS l(merchant_id, sku, location, on_hand, reserved) "
      "  ON CONFLICT (merchant_id, sku, location) DO UPDATE "
      "  SET on_hand = EXCLUDED.on_hand, reserved = EXCLUDED.reserved, updated_at = now()) "
      "INSERT INTO movements (merchant_id, sku, location, delta_on_hand, delta_reserved, reason, "
      "  order_id) "
      "SELECT merchant_id, sku, location, delta_on_hand, delta_reserved, 'reservation', order_id "
      "FROM unnest($13::text[], $14::text[], $15::text[], $16::text[], $17::bigint[], "
      "  $18::bigint[]) AS m(merchant_id, order_id, sku, location, delta_on_hand, delta_reserved)";
  using commerce::store::array_literal;
  commerce::store::exec(
      tx, sql, array_literal(merchant_ids), array_literal(order_ids), array_literal(line_merchants),
      array_literal(line_orders), array_literal(line_skus), array_literal(line_locations),
      array_literal(line_quantities), array_literal(level_merchants), array_literal(level_skus),
      array_literal(level_locations), array_literal(level_on_hand), array_literal(level_reserved),
      array_literal(move_merchants), array_literal(move_orders), array_literal(move_skus),
      array_literal(move_locations), array_literal(move_on_hand), array_literal(move_reserved));
}

void StockRepository::apply_all(pqxx::work& tx, const std::string& merchant_id,
                                const std::vector<LevelChange>& changes, const std::string& reason,
                                const std::string& order_id) const {
  if (changes.empty()) return;
  static const std::string sql = "WITH " + apply_changes_sql(3, 4);
  commerce::store::exec(tx, sql, merchant_id, order_id, changes_json(changes), reason);
}

}  // namespace inventory
