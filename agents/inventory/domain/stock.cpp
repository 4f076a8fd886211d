#include "domain/stock.hpp"

#include <algorithm>
#include <map>

namespace inventory {

namespace {

bool is_name(const std::string& s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

}  // namespace

bool is_valid_sku(const std::string& sku) { return is_name(sku); }
bool is_valid_location(const std::string& location) { return is_name(location); }

bool allocation_order(const StockLevel& a, const StockLevel& b) {
  const bool a_default = a.location == kDefaultLocation;
  const bool b_default = b.location == kDefaultLocation;
  if (a_default != b_default) return a_default;
  return a.location < b.location;
}

ReservationDecision decide_reservation(const std::vector<StockLevel>& levels,
                                       const std::vector<OrderLine>& lines) {
  // Merge lines per SKU, keeping the order of first appearance.
  std::vector<OrderLine> merged;
  for (const auto& line : lines) {
    auto it = std::find_if(merged.begin(), merged.end(),
                           [&](const OrderLine& m) { return m.sku == line.sku; });
    if (it == merged.end()) {
      merged.push_back(line);
    } else {
      it->quantity += line.quantity;
    }
  }

  ReservationDecision decision;
  std::vector<LevelChange> changes;
  for (const auto& line : merged) {
    std::vector<StockLevel> candidates;
    for (const auto& level : levels) {
      if (level.sku == line.sku) candidates.push_back(level);
    }
    std::sort(candidates.begin(), candidates.end(), allocation_order);
    std::int64_t total_available = 0;
    for (const auto& c : candidates) total_available += std::max<std::int64_t>(0, c.available());
    if (total_available < line.quantity) {
      decision.shortages.push_back({line.sku, line.quantity, total_available});
      continue;
    }
    std::int64_t remaining = line.quantity;
    for (const auto& c : candidates) {
      if (remaining == 0) break;
      const std::int64_t take = std::min(remaining, std::max<std::int64_t>(0, c.available()));
      if (take == 0) continue;
      remaining -= take;
      decision.allocations.push_back({c.sku, c.location, take});
      StockLevel after = c;
      after.reserved += take;
      changes.push_back({after, 0, take});
    }
  }
  if (!decision.shortages.empty()) {
    decision.allocations.clear();
    return decision;
  }
  decision.reserved = true;
  decision.changes = std::move(changes);
  return decision;
}

std::vector<LevelChange> release_allocations(const std::vector<StockLevel>& levels,
                                             const std::vector<Allocation>& allocations) {
  // Several allocations may touch one level (merged lines are not, but be safe).
  std::map<std::pair<std::string, std::string>, StockLevel> after;
  std::map<std::pair<std::string, std::string>, std::int64_t> released;
  std::vector<std::pair<std::string, std::string>> order;
  for (const auto& a : allocations) {
    const auto key = std::make_pair(a.sku, a.location);
    if (!after.count(key)) {
      auto it = std::find_if(levels.begin(), levels.end(), [&](const StockLevel& l) {
        return l.sku == a.sku && l.location == a.location;
      });
      if (it == levels.end()) continue;  // the level vanished: nothing to give back
      after[key] = *it;
      order.push_back(key);
    }
    auto& level = after[key];
    const std::int64_t give_back = std::min(a.quantity, level.reserved);
    level.reserved -= give_back;
    released[key] += give_back;
  }
  std::vector<LevelChange> changes;
  for (const auto& key : order) {
    if (released[key] == 0) continue;
    changes.push_back({after[key], 0, -released[key]});
  }
  return changes;
}

bool should_attempt_reservation(ReservationStatus status) {
  return status == ReservationStatus::none;
}

ReleaseAction decide_release(ReservationStatus status, bool rejection_acknowledged) {
  switch (status) {
    case ReservationStatus::none:
      return ReleaseAction::write_tombstone;
    case ReservationStatus::reserved:
      return ReleaseAction::release_reserved;
    case ReservationStatus::rejected:
      return rejection_acknowledged ? ReleaseAction::nothing : ReleaseAction::acknowledge_rejected;
    case ReservationStatus::released:
      return ReleaseAction::nothing;
  }
  return ReleaseAction::nothing;
}

StockChangeResult set_on_hand(const std::optional<StockLevel>& current, const std::string& sku,
                              const std::string& location, std::int64_t on_hand) {
  StockLevel level = current.value_or(StockLevel{sku, location, 0, 0});
  if (on_hand < 0 || on_hand > kMaxQuantity) {
    return {std::nullopt,
            StockError{"validation_failed", "on_hand must be 0.." + std::to_string(kMaxQuantity)}};
  }
  if (on_hand < level.reserved) {
    return {std::nullopt,
            StockError{"insufficient_stock", "on_hand " + std::to_string(on_hand) +
                                                 " would be below the reserved quantity " +
                                                 std::to_string(level.reserved)}};
  }
  const std::int64_t delta = on_hand - level.on_hand;
  level.on_hand = on_hand;
  return {LevelChange{level, delta, 0}, std::nullopt};
}

StockChangeResult adjust_on_hand(const std::optional<StockLevel>& current, const std::string& sku,
                                 const std::string& location, std::int64_t delta) {
  StockLevel level = current.value_or(StockLevel{sku, location, 0, 0});
  if (delta == 0 || delta > kMaxQuantity || delta < -kMaxQuantity) {
    return {std::nullopt,
            StockError{"validation_failed", "delta must be a non-zero integer within +/-" +
                                                std::to_string(kMaxQuantity)}};
  }
  const std::int64_t next = level.on_hand + delta;  // both bounded, no overflow
  if (next < 0) {
    return {std::nullopt,
            StockError{"insufficient_stock", "on_hand " + std::to_string(level.on_hand) +
                                                 " cannot go down by " + std::to_string(-delta)}};
  }
  if (next < level.reserved) {
    return {std::nullopt,
            StockError{"insufficient_stock", "on_hand would be " + std::to_string(next) +
                                                 ", below the reserved quantity " +
                                                 std::to_string(level.reserved)}};
  }
  if (next > kMaxQuantity) {
    return {std::nullopt, StockError{"validation_failed",
                                     "on_hand would exceed " + std::to_string(kMaxQuantity)}};
  }
  level.on_hand = next;
  return {LevelChange{level, delta, 0}, std::nullopt};
}

}  // namespace inventory
