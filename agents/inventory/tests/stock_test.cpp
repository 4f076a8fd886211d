#include "domain/stock.hpp"

#include <gtest/gtest.h>

namespace inventory {
namespace {

TEST(Reservation, TakesFromMainFirst) {
  const std::vector<StockLevel> levels = {{"A", "east", 10, 0}, {"A", "main", 10, 0}};
  const auto d = decide_reservation(levels, {{"A", 3}});
  ASSERT_TRUE(d.reserved);
  ASSERT_EQ(d.allocations.size(), 1u);
  EXPECT_EQ(d.allocations[0], (Allocation{"A", "main", 3}));
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_EQ(d.changes[0].after, (StockLevel{"A", "main", 10, 3}));
  EXPECT_EQ(d.changes[0].delta_reserved, 3);
  EXPECT_EQ(d.changes[0].delta_on_hand, 0);
}

TEST(Reservation, SplitsAcrossLocationsMainThenByName) {
  const std::vector<StockLevel> levels = {
      {"A", "west", 5, 0}, {"A", "east", 4, 2}, {"A", "main", 3, 1}};
  const auto d = decide_reservation(levels, {{"A", 6}});
  ASSERT_TRUE(d.reserved);
  ASSERT_EQ(d.allocations.size(), 3u);
  EXPECT_EQ(d.allocations[0], (Allocation{"A", "main", 2}));
  EXPECT_EQ(d.allocations[1], (Allocation{"A", "east", 2}));
  EXPECT_EQ(d.allocations[2], (Allocation{"A", "west", 2}));
}

TEST(Reservation, SkipsEmptyLocations) {
  const std::vector<StockLevel> levels = {{"A", "main", 2, 2}, {"A", "b", 5, 0}};
  const auto d = decide_reservation(levels, {{"A", 1}});
  ASSERT_TRUE(d.reserved);
  ASSERT_EQ(d.allocations.size(), 1u);
  EXPECT_EQ(d.allocations[0].location, "b");
}

TEST(Reservation, AllOrNothingReportsEveryShortage) {
  const std::vector<StockLevel> levels = {{"A", "main", 10, 0}, {"B", "main", 3, 1}};
  const auto d = decide_reservation(levels, {{"A", 5}, {"B", 3}, {"C", 1}});
  EXPECT_FALSE(d.reserved);
  EXPECT_TRUE(d.allocations.empty());
  EXPECT_TRUE(d.changes.empty());
  ASSERT_EQ(d.shortages.size(), 2u);
  EXPECT_EQ(d.shortages[0], (Shortage{"B", 3, 2}));
  EXPECT_EQ(d.shortages[1], (Shortage{"C", 1, 0}));
}

TEST(Reservation, MergesLinesOfTheSameSku) {
  const std::vector<StockLevel> levels = {{"A", "main", 3, 0}};
  const auto short_of = decide_reservation(levels, {{"A", 2}, {"A", 2}});
  EXPECT_FALSE(short_of.reserved);
  ASSERT_EQ(short_of.shortages.size(), 1u);
  EXPECT_EQ(short_of.shortages[0], (Shortage{"A", 4, 3}));
  const auto fits = decide_reservation(levels, {{"A", 1}, {"A", 2}});
  ASSERT_TRUE(fits.reserved);
  ASSERT_EQ(fits.allocations.size(), 1u);
  EXPECT_EQ(fits.allocations[0], (Allocation{"A", "main", 3}));
}

TEST(Reservation, ExactlyTheLastUnits) {
  const std::vector<StockLevel> levels = {{"A", "main", 50, 49}};
  EXPECT_TRUE(decide_reservation(levels, {{"A", 1}}).reserved);
  EXPECT_FALSE(decide_reservation(levels, {{"A", 2}}).reserved);
}

TEST(Release, GivesBackWhatWasHeld) {
  const std::vector<StockLevel> levels = {{"A", "main", 10, 4}, {"A", "east", 5, 2}};
  const auto changes = release_allocations(levels, {{"A", "main", 3}, {"A", "east", 2}});
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].after, (StockLevel{"A", "main", 10, 1}));
  EXPECT_EQ(changes[0].delta_reserved, -3);
  EXPECT_EQ(changes[1].after, (StockLevel{"A", "east", 5, 0}));
}

TEST(Release, NeverBelowZeroAndIgnoresVanishedLevels) {
  const std::vector<StockLevel> levels = {{"A", "main", 10, 1}};
  const auto changes = release_allocations(levels, {{"A", "main", 3}, {"B", "main", 1}});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].after.reserved, 0);
  EXPECT_EQ(changes[0].delta_reserved, -1);
}

TEST(Decisions, OneReservationPerOrderEver) {
  EXPECT_TRUE(should_attempt_reservation(ReservationStatus::none));
  EXPECT_FALSE(should_attempt_reservation(ReservationStatus::reserved));
  EXPECT_FALSE(should_attempt_reservation(ReservationStatus::rejected));
  EXPECT_FALSE(should_attempt_reservation(ReservationStatus::released));
}

TEST(Decisions, Release) {
  EXPECT_EQ(decide_release(ReservationStatus::none, false), ReleaseAction::write_tombstone);
  EXPECT_EQ(decide_release(ReservationStatus::reserved, false), ReleaseAction::release_reserved);
  EXPECT_EQ(decide_release(ReservationStatus::released, true), ReleaseAction::nothing);
  EXPECT_EQ(decide_release(ReservationStatus::rejected, false),
            ReleaseAction::acknowledge_rejected);
  EXPECT_EQ(decide_release(ReservationStatus::rejected, true), ReleaseAction::nothing);
}

TEST(SetOnHand, CreatesAndSets) {
  const auto r = set_on_hand(std::nullopt, "A", "main", 7);
  ASSERT_TRUE(r.change);
  EXPECT_EQ(r.change->after, (StockLevel{"A", "main", 7, 0}));
  EXPECT_EQ(r.change->delta_on_hand, 7);
  const auto lower = set_on_hand(StockLevel{"A", "main", 7, 2}, "A", "main", 2);
  ASSERT_TRUE(lower.change);
  EXPECT_EQ(lower.change->delta_on_hand, -5);
}

TEST(SetOnHand, NeverBelowReservedOrNegativeOrAbsurd) {
  const auto r = set_on_hand(StockLevel{"A", "main", 7, 3}, "A", "main", 2);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(r.error->code, "insufficient_stock");
  EXPECT_FALSE(r.change);
  EXPECT_EQ(set_on_hand(std::nullopt, "A", "main", -1).error->code, "validation_failed");
  EXPECT_EQ(set_on_hand(std::nullopt, "A", "main", kMaxQuantity + 1).error->code,
            "validation_failed");
  EXPECT_TRUE(set_on_hand(std::nullopt, "A", "main", kMaxQuantity).change);
}

TEST(Adjust, AddsAndRemoves) {
  const auto up = adjust_on_hand(StockLevel{"A", "main", 5, 2}, "A", "main", 4);
  ASSERT_TRUE(up.change);
  EXPECT_EQ(up.change->after.on_hand, 9);
  EXPECT_EQ(up.change->delta_on_hand, 4);
  const auto down = adjust_on_hand(StockLevel{"A", "main", 5, 2}, "A", "main", -3);
  ASSERT_TRUE(down.change);
  EXPECT_EQ(down.change->after.on_hand, 2);
  const auto created = adjust_on_hand(std::nullopt, "A", "x", 1);
  ASSERT_TRUE(created.change);
  EXPECT_EQ(created.change->after, (StockLevel{"A", "x", 1, 0}));
}

TEST(Adjust, Refusals) {
  EXPECT_EQ(adjust_on_hand(StockLevel{"A", "main", 5, 2}, "A", "main", -4).error->code,
            "insufficient_stock");  // below reserved
  EXPECT_EQ(adjust_on_hand(std::nullopt, "A", "main", -1).error->code, "insufficient_stock");
  EXPECT_EQ(adjust_on_hand(StockLevel{"A", "main", 5, 0}, "A", "main", -6).error->code,
            "insufficient_stock");  // negative
  EXPECT_EQ(adjust_on_hand(StockLevel{"A", "main", 5, 0}, "A", "main", 0).error->code,
            "validation_failed");
  EXPECT_EQ(adjust_on_hand(StockLevel{"A", "main", kMaxQuantity, 0}, "A", "main", 1).error->code,
            "validation_failed");
  EXPECT_EQ(adjust_on_hand(std::nullopt, "A", "main", kMaxQuantity + 1).error->code,
            "validation_failed");
}

TEST(Names, SkuAndLocation) {
  EXPECT_TRUE(is_valid_sku("ABC-1_2.x"));
  EXPECT_FALSE(is_valid_sku(""));
  EXPECT_FALSE(is_valid_sku("a b"));
  EXPECT_FALSE(is_valid_sku("a/b"));
  EXPECT_TRUE(is_valid_sku(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_sku(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_location("main"));
  EXPECT_FALSE(is_valid_location("mäin"));
}

}  // namespace
}  // namespace inventory
