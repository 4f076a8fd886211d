#include "scenario/outcomes.hpp"

#include <pqxx/pqxx>

namespace commerce::scenario {

namespace {

// The merchant's orders as text ids; every other agent's table is joined on order_id::text so
// the column types (uuid or text) don't matter here.
constexpr const char* kMerchantOrders =
    R"(WITH o AS (SELECT id::text AS id, status FROM "order".orders WHERE merchant_id::text = $1) )";

std::int64_t count(pqxx::work& tx, const std::string& sql, const std::string& merchant_id) {
  auto r = tx.exec_params(std::string(kMerchantOrders) + sql, merchant_id);
  return r.empty() || r[0][0].is_null() ? 0 : r[0][0].as<std::int64_t>();
}

}  // namespace

OrderOutcomes count_outcomes(const std::string& admin_url, const std::string& merchant_id) {
  pqxx::connection c(admin_url);
  pqxx::work tx(c);
  OrderOutcomes out;
  auto r = tx.exec_params(std::string(kMerchantOrders) +
                              "SELECT count(*), count(*) FILTER (WHERE status = 'confirmed'), "
                              "count(*) FILTER (WHERE status = 'cancelled'), "
                              "count(*) FILTER (WHERE status = 'pending') FROM o",
                          merchant_id);
  out.placed = r[0][0].as<std::int64_t>();
  out.confirmed = r[0][1].as<std::int64_t>();
  out.cancelled = r[0][2].as<std::int64_t>();
  out.pending = r[0][3].as<std::int64_t>();
  out.sagas_open = count(tx,
                         "SELECT count(*) FROM orchestration.sagas s JOIN o ON s.order_id::text = "
                         "o.id WHERE s.state NOT IN ('completed', 'compensated')",
                         merchant_id);
  out.duplicate_reservations =
      count(tx,
            "SELECT count(*) FROM (SELECT r.order_id FROM inventory.reservations r JOIN o ON "
            "r.order_id::text = o.id GROUP BY r.order_id HAVING count(*) > 1) d",
            merchant_id);
  out.duplicate_authorizations =
      count(tx,
            "SELECT count(*) FROM (SELECT a.order_id FROM payment.authorizations a JOIN o ON "
            "a.order_id::text = o.id GROUP BY a.order_id HAVING count(*) > 1) d",
            merchant_id);
  out.duplicate_notifications =
      count(tx,
            "SELECT count(*) FROM (SELECT n.order_id, n.kind FROM notification.notifications n "
            "JOIN o ON n.order_id::text = o.id GROUP BY n.order_id, n.kind HAVING count(*) > 1) d",
            merchant_id);
  auto reasons = tx.exec_params(
      R"(SELECT coalesce(cancel_reason, '(none)'), count(*) FROM "order".orders
         WHERE merchant_id::text = $1 AND status = 'cancelled' GROUP BY 1 ORDER BY 2 DESC)",
      merchant_id);
  for (const auto& row : reasons)
    out.cancel_reasons[row[0].as<std::string>()] = row[1].as<std::int64_t>();
  tx.commit();
  return out;
}

bool all_sagas_ended(const std::string& admin_url, const std::string& merchant_id) {
  pqxx::connection c(admin_url);
  pqxx::work tx(c);
  const auto pending = count(tx, "SELECT count(*) FROM o WHERE status = 'pending'", merchant_id);
  if (pending > 0) return false;
  const auto open = count(tx,
                          "SELECT count(*) FROM orchestration.sagas s JOIN o ON s.order_id::text "
                          "= o.id WHERE s.state NOT IN ('completed', 'compensated')",
                          merchant_id);
  return open == 0;
}

ThroughputStats throughput(const std::string& admin_url, const std::string& merchant_id,
                           double since_epoch_seconds) {
  pqxx::connection c(admin_url);
  pqxx::work tx(c);
  auto r = tx.exec_params(
      R"(SELECT count(*) FILTER (WHERE status <> 'pending'),
                count(*) FILTER (WHERE status = 'confirmed'),
                extract(epoch FROM max(coalesce(confirmed_at, cancelled_at)) - min(placed_at)),
                percentile_cont(0.5) WITHIN GROUP (ORDER BY
                  extract(epoch FROM confirmed_at - placed_at) * 1000)
                  FILTER (WHERE status = 'confirmed'),
                percentile_cont(0.99) WITHIN GROUP (ORDER BY
                  extract(epoch FROM confirmed_at - placed_at) * 1000)
                  FILTER (WHERE status = 'confirmed')
         FROM "order".orders
         WHERE merchant_id::text = $1 AND placed_at >= to_timestamp($2))",
      merchant_id, std::to_string(since_epoch_seconds));
  tx.commit();
  ThroughputStats s;
  s.finished = r[0][0].as<std::int64_t>();
  s.confirmed = r[0][1].as<std::int64_t>();
  s.seconds = r[0][2].is_null() ? 0 : r[0][2].as<double>();
  s.p50_ms = r[0][3].is_null() ? 0 : r[0][3].as<double>();
  s.p99_ms = r[0][4].is_null() ? 0 : r[0][4].as<double>();
  s.orders_per_sec = s.seconds > 0 ? static_cast<double>(s.finished) / s.seconds : 0;
  return s;
}

std::int64_t rows_for_order(const std::string& admin_url, const std::string& table,
                            const std::string& order_id) {
  pqxx::connection c(admin_url);
  pqxx::work tx(c);
  auto r = tx.exec_params("SELECT count(*) FROM " + table + " WHERE order_id::text = $1", order_id);
  tx.commit();
  return r[0][0].as<std::int64_t>();
}

std::optional<std::string> scalar(const std::string& admin_url, const std::string& sql,
                                  const std::string& param) {
  pqxx::connection c(admin_url);
  pqxx::work tx(c);
  pqxx::result r = param.empty() ? tx.exec(sql) : tx.exec_params(sql, param);
  tx.commit();
  if (r.empty() || r[0][0].is_null()) return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace commerce::scenario
