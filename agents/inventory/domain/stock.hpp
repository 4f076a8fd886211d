#pragma once
// Stock rules, pure: reserve all lines of an order or none, release, set and adjust on-hand.
// Every function works on a snapshot of the levels for the SKUs concerned and returns the
// decision; the repository applies it under row locks.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace inventory {

inline constexpr const char* kDefaultLocation = "main";
// Quantities beyond this are a typo or an attack, not stock.
inline constexpr std::int64_t kMaxQuantity = 1'000'000'000;

struct StockLevel {
  std::string sku;
  std::string location;
  std::int64_t on_hand = 0;
  std::int64_t reserved = 0;

  std::int64_t available() const { return on_hand - reserved; }
  bool operator==(const StockLevel&) const = default;
};

struct OrderLine {
  std::string sku;
  std::int64_t quantity = 0;
};

// Quantity of one SKU held at one location for an order.
struct Allocation {
  std::string sku;
  std::string location;
  std::int64_t quantity = 0;
  bool operator==(const Allocation&) const = default;
};

struct Shortage {
  std::string sku;
  std::int64_t requested = 0;
  std::int64_t available = 0;
  bool operator==(const Shortage&) const = default;
};

// The levels after a change together with the ledger rows that explain it.
struct LevelChange {
  StockLevel after;
  std::int64_t delta_on_hand = 0;
  std::int64_t delta_reserved = 0;
};

struct ReservationDecision {
  bool reserved = false;
  std::vector<Allocation> allocations;  // when reserved
  std::vector<LevelChange> changes;     // when reserved
  std::vector<Shortage> shortages;      // when not
};

// Lines of the same SKU are merged. For each SKU the default location is used first, then
// the others by name, splitting a line when one location is not enough. If any SKU is short,
// nothing is reserved and every short SKU is reported.
ReservationDecision decide_reservation(const std::vector<StockLevel>& levels,
                                       const std::vector<OrderLine>& lines);

// Gives back what an order held. A level missing from the snapshot or holding less than the
// allocation is clamped at zero reserved (it cannot happen while the invariants hold).
std::vector<LevelChange> release_allocations(const std::vector<StockLevel>& levels,
                                             const std::vector<Allocation>& allocations);

// What is on file for an order before a command about it.
enum class ReservationStatus { none, reserved, released, rejected };

// One reservation per order, ever: a repeated ReserveStock, or one after a release tombstone,
// does nothing.
bool should_attempt_reservation(ReservationStatus status);

enum class ReleaseAction {
  release_reserved,      // give the stock back, mark released, emit StockReleased
  write_tombstone,       // nothing was reserved: record 'released' so a late reserve is refused
  acknowledge_rejected,  // the reservation was rejected: nothing to give back, emit once
  nothing,               // already released (or acknowledged): emit nothing
};
ReleaseAction decide_release(ReservationStatus status, bool rejection_acknowledged);

struct StockError {
  std::string code;  // insufficient_stock
  std::string message;
};

struct StockChangeResult {
  std::optional<LevelChange> change;
  std::optional<StockError> error;
};

// Sets on-hand (creates the level when `current` is empty). Never below what is reserved.
StockChangeResult set_on_hand(const std::optional<StockLevel>& current, const std::string& sku,
                              const std::string& location, std::int64_t on_hand);
// Adds `delta` to on-hand. Never negative, never below reserved, never above kMaxQuantity.
StockChangeResult adjust_on_hand(const std::optional<StockLevel>& current, const std::string& sku,
                                 const std::string& location, std::int64_t delta);

// SKU and location names: 1-64 characters of [A-Za-z0-9._-].
bool is_valid_sku(const std::string& sku);
bool is_valid_location(const std::string& location);

// Orders locations for allocation: the default location first, then by name.
bool allocation_order(const StockLevel& a, const StockLevel& b);

}  // namespace inventory
