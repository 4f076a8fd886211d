#include "app/command_handlers.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "commerce/bus/topics.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"
#include "domain/messages.hpp"

namespace inventory {

namespace {

void emit_level_changes(commerce::store::MessageContext& ctx,
                        const std::vector<LevelChange>& changes) {
  const auto topic = commerce::bus::topics::events("inventory");
  for (const auto& c : changes) {
    ctx.emit(topic, c.after.sku, messages::kStockLevelChanged,
             messages::stock_level_changed(c.after));
  }
}

}  // namespace

void CommandHandlers::on_batch(std::span<commerce::store::MessageContext> batch) {
  // Runs of ReserveStock are decided together on one locked read of their levels; a
  // ReleaseStock between them is handled alone, after what came before it was written, so every
  // message sees the stock as the messages before it left it.
  commerce::store::for_each_run(
      batch, messages::kReserveStock, [&](auto run) { reserve_all(run); },
      [&](commerce::store::MessageContext& ctx) { release(ctx); });
}

void CommandHandlers::reserve_all(std::span<commerce::store::MessageContext> run) {
  auto& tx = run.front().tx();
  std::vector<messages::ReserveStock> commands;
  std::vector<MerchantOrder> orders;
  for (auto& ctx : run) {
    commands.push_back(messages::parse_reserve_stock(ctx.message().payload));
    orders.push_back({ctx.message().merchant_id, commands.back().order_id});
  }
  // The row is the order's one reservation, ever: whoever inserts it decides; a repeat (or a
  // ReserveStock after a release tombstone) finds it and does nothing.
  auto claimed = stock_.claim_reservations(tx, orders);
  if (claimed.empty()) return;

  std::set<std::string> merchants, skus;
  for (std::size_t i = 0; i < run.size(); ++i) {
    if (!claimed.count(orders[i])) continue;
    merchants.insert(orders[i].merchant_id);
    for (const auto& line : commands[i].lines) skus.insert(line.sku);
  }
  // The batch's levels as each decision leaves them, for the next one.
  std::map<std::tuple<std::string, std::string, std::string>, StockLevel> levels;
  const std::vector<std::string> merchant_list(merchants.begin(), merchants.end());
  const std::vector<std::string> sku_list(skus.begin(), skus.end());
  for (auto& l : stock_.lock_levels(tx, merchant_list, sku_list)) {
    levels.emplace(std::make_tuple(l.merchant_id, l.level.sku, l.level.location), l.level);
  }

  const auto topic = commerce::bus::topics::events("inventory");
  std::vector<CommittedReservation> committed;
  // One StockLevelChanged per level the run changed, carrying the level the run leaves, caused
  // by the last reservation that moved it: the levels in between are never committed, and a
  // busy SKU announced every unit sold (two thirds of this agent's messages at 300 orders/s).
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> announced;
  for (std::size_t i = 0; i < run.size(); ++i) {
    if (!claimed.erase(orders[i])) continue;  // decided before, or twice in this run
    auto& ctx = run[i];
    commerce::log::ScopedContext scoped(ctx.log_context());
    const auto& merchant = orders[i].merchant_id;
    const auto& command = commands[i];
    std::set<std::string> wanted;
    for (const auto& line : command.lines) wanted.insert(line.sku);
    std::vector<StockLevel> snapshot;
    for (const auto& sku : wanted) {
      for (auto it = levels.lower_bound({merchant, sku, ""});
           it != levels.end() && std::get<0>(it->first) == merchant &&
           std::get<1>(it->first) == sku;
           ++it) {
        snapshot.push_back(it->second);
      }
    }
    auto decision = decide_reservation(snapshot, command.lines);
    if (!decision.reserved) {
      ctx.emit(topic, command.order_id, messages::kStockReservationFailed,
               messages::stock_reservation_failed(command.order_id, decision.shortages));
      metrics_.out_of_stock(decision.shortages.size());
      commerce::log::info("stock reservation failed", {{"order_id", command.order_id}});
      continue;
    }
    for (const auto& c : decision.changes) {
      const auto where = std::make_tuple(merchant, c.after.sku, c.after.location);
      levels[where] = c.after;
      announced[where] = i;
    }
    ctx.emit(topic, command.order_id, messages::kStockReserved,
             messages::stock_reserved(command.order_id, decision.allocations));
    metrics_.reserved();
    commerce::log::info("stock reserved", {{"order_id", command.order_id}});
    committed.push_back({orders[i], std::move(decision.allocations), std::move(decision.changes)});
  }
  for (const auto& [where, index] : announced) {
    const auto& level = levels.at(where);  // as the run leaves it
    run[index].emit(topic, level.sku, messages::kStockLevelChanged,
                    messages::stock_level_changed(level));
  }
  stock_.commit_reservations(tx, committed);
}

void CommandHandlers::release(commerce::store::MessageContext& ctx) {
  auto& tx = ctx.tx();
  const auto& merchant = ctx.message().merchant_id;
  const auto command = messages::parse_release_stock(ctx.message().payload);
  const auto topic = commerce::bus::topics::events("inventory");

  const auto record = stock_.lock_reservation(tx, merchant, command.order_id);
  const auto action =
      decide_release(record ? record->status : ReservationStatus::none, record && record->released);
  switch (action) {
    case ReleaseAction::nothing:
      return;
    case ReleaseAction::write_tombstone:
      if (!stock_.insert_reservation(tx, merchant, command.order_id, ReservationStatus::released)) {
        // A reservation of the same order committed meanwhile: decide again on a fresh read.
        throw commerce::bus::TransientError("reservation for order " + command.order_id +
                                            " appeared concurrently");
      }
      break;
    case ReleaseAction::acknowledge_rejected:
      stock_.mark_released(tx, merchant, command.order_id);
      break;
    case ReleaseAction::release_reserved: {
      const auto held = stock_.lines(tx, merchant, command.order_id);
      std::vector<std::string> skus;
      for (const auto& a : held) skus.push_back(a.sku);
      std::sort(skus.begin(), skus.end());
      skus.erase(std::unique(skus.begin(), skus.end()), skus.end());
      const auto levels = stock_.lock_levels(tx, merchant, skus);
      const auto changes = release_allocations(levels, held);
      stock_.apply_all(tx, merchant, changes, "release: " + command.reason, command.order_id);
      stock_.set_status(tx, merchant, command.order_id, ReservationStatus::released);
      ctx.emit(topic, command.order_id, messages::kStockReleased,
               messages::stock_released(command.order_id));
      emit_level_changes(ctx, changes);
      commerce::log::info("stock released", {{"order_id", command.order_id}});
      return;
    }
  }
  ctx.emit(topic, command.order_id, messages::kStockReleased,
           messages::stock_released(command.order_id));
}

}  // namespace inventory
