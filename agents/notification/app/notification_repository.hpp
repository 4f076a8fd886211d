#pragma once
// The record of who was told what: one row per (merchant, order, kind), ever.
#include <optional>
#include <pqxx/pqxx>
#include <set>
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

// Who is told what, on which channel.
struct Notice {
  std::string merchant_id;
  std::string order_id;
  std::string kind;
  std::string channel;
  std::string recipient;
};

struct NoticeKey {
  std::string merchant_id;
  std::string order_id;
  std::string kind;
  auto operator<=>(const NoticeKey&) const = default;
};

class NotificationRepository {
 public:
  // Records each notice not recorded before (for its merchant, order and kind), in one
  // statement; returns the keys recorded now. A key given twice is recorded once.
  std::set<NoticeKey> record(pqxx::work& tx, const std::vector<Notice>& notices);
  std::vector<NotificationRow> list(pqxx::work& tx, const std::string& merchant_id,
                                    const std::optional<std::string>& order_id);
};

}  // namespace notification
