#include "app/notification_repository.hpp"

#include <nlohmann/json.hpp>

#include "commerce/store/store.hpp"

namespace notification {

std::set<NoticeKey> NotificationRepository::record(pqxx::work& tx,
                                                   const std::vector<Notice>& notices) {
  std::set<NoticeKey> recorded;
  if (notices.empty()) return recorded;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& n : notices) {
    rows.push_back({{"merchant_id", n.merchant_id},
                    {"order_id", n.order_id},
                    {"kind", n.kind},
                    {"channel", n.channel},
                    {"recipient", n.recipient}});
  }
  const auto r = commerce::store::exec(
      tx,
      "INSERT INTO notifications (merchant_id, order_id, kind, channel, recipient) "
      "SELECT merchant_id, order_id, kind, channel, recipient "
      "FROM jsonb_to_recordset($1::jsonb) AS n(merchant_id text, order_id text, kind text, "
      "channel text, recipient text) "
      "ON CONFLICT (merchant_id, order_id, kind) DO NOTHING "
      "RETURNING merchant_id, order_id, kind",
      rows.dump());
  for (const auto& row : r) {
    recorded.insert({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
  }
  return recorded;
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
