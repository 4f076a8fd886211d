#pragma once
// SQL for orders, their lines and timeline, on the caller's transaction.
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "domain/order.hpp"
#include "domain/pricing.hpp"

namespace order {

struct TimelineRow {
  std::string at;  // RFC 3339 UTC
  std::string event;
  nlohmann::json detail = nlohmann::json::object();
};

struct OrderRecord {
  std::string id;
  std::string merchant_id;
  OrderStatus status = OrderStatus::pending;
  std::string customer_email;
  Money total;
  std::string card_token;
  std::optional<std::string> cancel_reason;
  std::string placed_at;
  std::optional<std::string> confirmed_at;
  std::optional<std::string> cancelled_at;
  std::vector<PricedLine> lines;
  std::vector<TimelineRow> timeline;
};

struct OrderPage {
  std::vector<OrderRecord> orders;  // without lines and timeline
  std::optional<std::string> next_cursor;
};

class OrderRepository {
 public:
  // Inserts the order, its lines and the "placed" timeline entry; returns the order as stored.
  // Nullopt when the merchant already has an order with this idempotency key (a retried POST).
  std::optional<OrderRecord> insert(pqxx::work& tx, const std::string& id,
                                    const std::string& merchant_id,
                                    const std::string& customer_email, const PricedOrder& priced,
                                    const std::string& card_token,
                                    const std::optional<std::string>& idempotency_key);
  // The order a POST with this idempotency key created, with lines and timeline.
  std::optional<OrderRecord> find_by_idempotency_key(pqxx::work& tx, const std::string& merchant_id,
                                                     const std::string& key);

  // The order with lines and timeline, or nullopt (unknown or another merchant's).
  std::optional<OrderRecord> find(pqxx::work& tx, const std::string& merchant_id,
                                  const std::string& id);
  // The order rows (no lines or timeline) of these ids, by id, locked for update in id order
  // (one statement for a batch; a consistent order so two batches cannot deadlock).
  std::map<std::string, OrderRecord> lock(pqxx::work& tx, const std::vector<std::string>& ids);

  // An order's final status (confirmed, or cancelled with `reason`) and the timeline rows it
  // appends, [{event, at, detail}] (`at` "" is now).
  struct Settlement {
    std::string id;
    OrderStatus status = OrderStatus::confirmed;
    std::string reason;
    nlohmann::json timeline;
  };
  // Writes every settlement of a batch in one statement.
  void settle(pqxx::work& tx, const std::vector<Settlement>& settlements);

  // Newest first; `after_id` is the cursor (the last id of the previous page).
  OrderPage list(pqxx::work& tx, const std::string& merchant_id, std::size_t limit,
                 const std::optional<std::string>& after_id,
                 const std::optional<OrderStatus>& status);
};

}  // namespace order
