#include "app/notification_repository.hpp"

#include "commerce/store/store.hpp"

namespace notification {

bool NotificationRepository::record(pqxx::work& tx, const std::string& merchant_id,
                                    const std::string& order_id, const std::string& kind,
                                    const std::string& channel, const std::string& recipient) {
  const auto r = commerce::store::exec(
      tx,
      "INSERT INTO notifications (merchant_id, order_id, kind, channel, recipient) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (merchant_id, order_id, kind) DO NOTHING "
      "RETURNING 1",
      merchant_id, order_id, kind, channel, recipient);
  return !r.empty();
}

std::vector<NotificationRow> NotificationRepository::list(
    pqxx::work& tx, const std::string& merchant_id, const std::optional<std::string>& order_id) {
  static const std::string columns =
      "SELECT order_id, kind, channel, recipient, "
      "to_char(sent_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
      "FROM notifications WHERE merchant_id = $1";
  const auto result =
      order_id ? commerce::store::exec(
                     tx, columns + " AND order_id = $2 ORDER BY sent_at, kind LIMIT 1000",
                     merchant_id, *order_id)
               : commerce::store::exec(tx, columns + " ORDER BY sent_at DESC, kind LIMIT 1000",
                                       merchant_id);
  std::vector<NotificationRow> rows;
  for (const auto& r : result) {
    rows.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                    r[3].as<std::string>(), r[4].as<std::string>()});
  }
  return rows;
}

}  // namespace notification
