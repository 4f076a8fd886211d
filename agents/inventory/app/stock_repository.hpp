#pragma once
// SQL for inventory's tables, always inside the caller's transaction. Row locks (FOR UPDATE,
// in (sku, location) order) make concurrent instances safe; nothing here holds state.
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "domain/stock.hpp"

namespace inventory {

struct MerchantOrder {
  std::string merchant_id;
  std::string order_id;
  auto operator<=>(const MerchantOrder&) const = default;
};

struct MerchantLevel {
  std::string merchant_id;
  StockLevel level;
};

// A reservation decided in a batch: what it holds and the level changes it made, in order.
struct CommittedReservation {
  MerchantOrder order;
  std::vector<Allocation> allocations;
  std::vector<LevelChange> changes;
};

struct ReservationRecord {
  ReservationStatus status = ReservationStatus::none;
  bool released = false;  // released_at is set
};

class StockRepository {
 public:
  // The order's reservation row, locked; nullopt when there is none.
  std::optional<ReservationRecord> lock_reservation(pqxx::work& tx, const std::string& merchant_id,
                                                    const std::string& order_id) const;
  // Inserts the order's one reservation row; false if it exists already (waits for a
  // concurrent insert of the same order to settle).
  bool insert_reservation(pqxx::work& tx, const std::string& merchant_id,
                          const std::string& order_id, ReservationStatus status) const;
  void set_status(pqxx::work& tx, const std::string& merchant_id, const std::string& order_id,
                  ReservationStatus status) const;
  // Sets released_at (the release was acknowledged) without changing the status.
  void mark_released(pqxx::work& tx, const std::string& merchant_id,
                     const std::string& order_id) const;
  std::vector<Allocation> lines(pqxx::work& tx, const std::string& merchant_id,
                                const std::string& order_id) const;

  // Levels of these SKUs at every location, locked in (sku, location) order.
  std::vector<StockLevel> lock_levels(pqxx::work& tx, const std::string& merchant_id,
                                      const std::vector<std::string>& skus) const;
  std::optional<StockLevel> lock_level(pqxx::work& tx, const std::string& merchant_id,
                                       const std::string& sku, const std::string& location) const;
  std::vector<StockLevel> levels(pqxx::work& tx, const std::string& merchant_id,
                                 const std::string& sku) const;

  // Inserts a 'rejected' reservation row for each (merchant, order) that has none, in one
  // statement; returns those inserted (whoever inserts the row decides the reservation). Waits
  // for a concurrent insert of the same order to settle.
  std::set<MerchantOrder> claim_reservations(pqxx::work& tx,
                                             const std::vector<MerchantOrder>& orders) const;
  // Levels of these merchants' SKUs at every location, locked in (merchant, sku, location)
  // order, as one statement for a batch of orders.
  std::vector<MerchantLevel> lock_levels(pqxx::work& tx, const std::vector<std::string>& merchants,
                                         const std::vector<std::string>& skus) const;
  // Marks these reservations reserved, records their lines, writes each touched level once (its
  // state after the last change) and every change's ledger row: one statement for a batch.
  void commit_reservations(pqxx::work& tx,
                           const std::vector<CommittedReservation>& reservations) const;
  // Applies changes (one per level) with their ledger rows in one statement.
  void apply_all(pqxx::work& tx, const std::string& merchant_id,
                 const std::vector<LevelChange>& changes, const std::string& reason,
                 const std::string& order_id) const;
  void apply(pqxx::work& tx, const std::string& merchant_id, const LevelChange& change,
             const std::string& reason, const std::optional<std::string>& order_id) const;
};

}  // namespace inventory
