#include "app/command_handlers.hpp"

#include <algorithm>

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

void CommandHandlers::reserve(commerce::store::MessageContext& ctx) {
  auto& tx = ctx.tx();
  const auto& merchant = ctx.message().merchant_id;
  const auto command = messages::parse_reserve_stock(ctx.message().payload);

  // The row is the order's one reservation, ever: whoever inserts it decides; a repeat (or a
  // ReserveStock after a release tombstone) finds it and does nothing.
  if (!stock_.insert_reservation(tx, merchant, command.order_id, ReservationStatus::rejected)) {
    return;
  }
  std::vector<std::string> skus;
  for (const auto& line : command.lines) skus.push_back(line.sku);
  std::sort(skus.begin(), skus.end());
  skus.erase(std::unique(skus.begin(), skus.end()), skus.end());

  const auto levels = stock_.lock_levels(tx, merchant, skus);
  const auto decision = decide_reservation(levels, command.lines);
  const auto topic = commerce::bus::topics::events("inventory");
  if (!decision.reserved) {
    ctx.emit(topic, command.order_id, messages::kStockReservationFailed,
             messages::stock_reservation_failed(command.order_id, decision.shortages));
    metrics_.out_of_stock(decision.shortages.size());
    commerce::log::info("stock reservation failed", {{"order_id", command.order_id}});
    return;
  }
  stock_.commit_reservation(tx, merchant, command.order_id, decision.allocations, decision.changes);
  ctx.emit(topic, command.order_id, messages::kStockReserved,
           messages::stock_reserved(command.order_id, decision.allocations));
  emit_level_changes(ctx, decision.changes);
  metrics_.reserved();
  commerce::log::info("stock reserved", {{"order_id", command.order_id}});
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
