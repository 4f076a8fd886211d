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
#include "domain/timeline.hpp"

namespace commerce::store {
struct OutboxRow;
}

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
  // Of the POST that placed it under an Idempotency-Key (NULL for orders placed before 0003).
  std::optional<std::string> request_hash;
};

// The order's answer for the POST that placed it, as that POST got it: what a retried POST with
// the same Idempotency-Key gets again, whatever happened to the order since.
OrderRecord as_placed(const OrderRecord& order);

struct IdempotencyKey {
  std::string key;
  std::string request_hash;  // sha256 of the body: the same key with another body is refused
};

struct OrderPage {
  std::vector<OrderRecord> orders;  // without lines and timeline
  std::optional<std::string> next_cursor;
};

class OrderRepository {
 public:
  // What an insert came to: the order as stored; or nothing, because a price it was priced from
  // no longer holds (stale_prices), or because the merchant already has an order with this
  // idempotency key (a retried POST).
  struct Inserted {
    std::optional<OrderRecord> order;
    bool stale_prices = false;
  };
  // Inserts the order, its lines, the "placed" timeline entry and `placed` (its OrderPlaced) in
  // the outbox, in one statement: run it autocommitted. `prices` are the catalogue entries it was
  // priced from: the statement inserts only if product_prices still holds each of them.
  Inserted insert(pqxx::transaction_base& tx, const std::string& id, const std::string& merchant_id,
                  const std::string& customer_email, const PricedOrder& priced,
                  const Catalogue& prices, const std::string& card_token,
                  const std::optional<IdempotencyKey>& idempotency,
                  const commerce::store::OutboxRow& placed);
  // The order a POST with this idempotency key created, with lines, timeline and request hash.
  std::optional<OrderRecord> find_by_idempotency_key(pqxx::transaction_base& tx,
                                                     const std::string& merchant_id,
                                                     const std::string& key);

  // The order with lines and timeline, or nullopt (unknown or another merchant's).
  std::optional<OrderRecord> find(pqxx::transaction_base& tx, const std::string& merchant_id,
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
    std::vector<TimelineEntry> timeline;
  };
  // Writes every settlement of a batch in one statement.
  void settle(pqxx::work& tx, const std::vector<Settlement>& settlements);

  // Newest first; `after_id` is the cursor (the last id of the previous page).
  OrderPage list(pqxx::work& tx, const std::string& merchant_id, std::size_t limit,
                 const std::optional<std::string>& after_id,
                 const std::optional<OrderStatus>& status);
};

}  // namespace order
