#include "app/notification_repository.hpp"

#include "commerce/store/store.hpp"

namespace notification {

std::set<NoticeKey> NotificationRepository::record(pqxx::work& tx,
                                                   const std::vector<Notice>& notices) {
  std::set<NoticeKey> recorded;
  if (notices.empty()) return recorded;
  std::vector<std::string> merchants, orders, kinds, channels, recipients;
  for (const auto& n : notices) {
    merchants.push_back(n.merchant_id);
    orders.push_back(n.order_id);
    kinds.push_back(n.kind);
    channels.push_back(n.channel);
    recipients.push_back(n.recipient);
  }
  using commerce::store::array_literal;
  const auto r = commerce::store::exec(
      tx,
      "INSERT INTO notifications (merchant_id, order_id, kind, channel, recipient) "
      "SELECT merchant_id, order_id, kind, channel, recipient "
      "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) "
      "AS n(merchant_id, order_id, kind, channel, recipient) "
      "ON CONFLICT (merchant_id, order_id, kind) DO NOTHING "
      "RETURNING merchant_id, order_id, kind",
      array_literal(merchants), array_literal(orders), array_literal(kinds),
      array_literal(channels), array_literal(recipients));
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
