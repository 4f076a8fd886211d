#pragma once
// The record of who was told what: one row per (merchant, order, kind), ever.
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace notification {

struct NotificationRow {
  std::string order_id;
  std::string kind;
  std::string channel;
  std::string recipient;
  std::string sent_at;  // RFC 3339 UTC
};

class NotificationRepository {
 public:
  // False when this order was already notified of this kind (nothing is written).
  bool record(pqxx::work& tx, const std::string& merchant_id, const std::string& order_id,
              const std::string& kind, const std::string& channel, const std::string& recipient);
  std::vector<NotificationRow> list(pqxx::work& tx, const std::string& merchant_id,
                                    const std::optional<std::string>& order_id);
};

}  // namespace notification
