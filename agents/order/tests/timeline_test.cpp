#include "domain/timeline.hpp"

#include <gtest/gtest.h>

namespace order {
namespace {

using nlohmann::json;

TEST(Timeline, SagaHistoryComesFirstThenTheFinalEntry) {
  const json history = json::array(
      {{{"event", "stock_reserved"}, {"at", "2026-11-30T08:00:00.120Z"}, {"detail", {{"n", 1}}}},
       {{"event", "payment_authorized"}, {"at", "2026-11-30T08:00:00.250+01:00"}}});
  auto entries = timeline_for(history, {"confirmed", "", json::object()});
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].event, "stock_reserved");
  EXPECT_EQ(entries[0].at, "2026-11-30T08:00:00.120Z");
  EXPECT_EQ(entries[0].detail.at("n"), 1);
  EXPECT_EQ(entries[1].event, "payment_authorized");
  EXPECT_EQ(entries[1].detail, json::object());
  EXPECT_EQ(entries[2].event, "confirmed");
  EXPECT_EQ(entries[2].at, "");
}

TEST(Timeline, NoHistoryMeansTheFinalEntryAlone) {
  auto entries = timeline_for(json(), {"cancelled", "", {{"reason", "out_of_stock"}}});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].detail.at("reason"), "out_of_stock");
}

TEST(Timeline, UnreadableEntriesAreLeftOutAndUnreadableTimesBecomeNow) {
  const json history = json::array({42,
                                    {{"at", "2026-11-30T08:00:00Z"}},
                                    {{"event", ""}},
                                    {{"event", "stock_released"}, {"at", "yesterday"}},
                                    {{"event", "payment_voided"}, {"at", 5}, {"detail", "x"}}});
  auto entries = timeline_for(history, {"cancelled", "", json::object()});
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].event, "stock_released");
  EXPECT_EQ(entries[0].at, "");
  EXPECT_EQ(entries[1].event, "payment_voided");
  EXPECT_EQ(entries[1].detail, json::object());
}

TEST(Timeline, Rfc3339) {
  for (const char* ok : {"2026-11-30T08:07:16Z", "2026-11-30T08:07:16.123456Z",
                         "2026-11-30t08:07:16+01:00", "2026-11-30T08:07:16.5-05:30"}) {
    EXPECT_TRUE(is_rfc3339(ok)) << ok;
  }
  for (const char* bad :
       {"", "2026-11-30", "2026-11-30 08:07:16Z", "2026-11-30T08:07:16", "2026-11-30T08:07:16.Z",
        "2026-11-30T08:07:16Zjunk", "2026-11-30T08:07:16+0100", "2026-1a-30T08:07:16Z"}) {
    EXPECT_FALSE(is_rfc3339(bad)) << bad;
  }
}

TEST(Timeline, JsonRowsForOneInsert) {
  auto rows =
      to_json({{"stock_reserved", "2026-11-30T08:00:00Z", {{"a", 1}}}, {"confirmed", "", {}}});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("event"), "stock_reserved");
  EXPECT_EQ(rows[1].at("at"), "");
}

}  // namespace
}  // namespace order
