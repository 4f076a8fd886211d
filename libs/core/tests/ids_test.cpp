#include "commerce/core/ids.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <set>
#include <thread>
#include <vector>

using namespace commerce::core;

namespace {

std::uint64_t timestamp_ms(const std::string& uuid) {
  const std::string hex = uuid.substr(0, 8) + uuid.substr(9, 4);
  return std::stoull(hex, nullptr, 16);
}

}  // namespace

TEST(UuidV7, HasRfc9562Layout) {
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  for (int i = 0; i < 100; ++i) {
    const auto id = uuid_v7();
    EXPECT_TRUE(std::regex_match(id, shape)) << id;
  }
}

TEST(UuidV7, EncodesCurrentMillisecondTimestamp) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const auto id = uuid_v7();
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  const auto ts = static_cast<std::int64_t>(timestamp_ms(id));
  EXPECT_GE(ts, before);
  EXPECT_LE(ts, after + 1);  // +1: the counter may have advanced the timestamp
}

TEST(UuidV7, StrictlyIncreasingWithinProcess) {
  std::vector<std::string> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(uuid_v7());
  for (std::size_t i = 1; i < ids.size(); ++i) {
    ASSERT_LT(ids[i - 1], ids[i]) << "at " << i;
  }
}

TEST(UuidV7, UniqueAcrossThreads) {
  std::vector<std::vector<std::string>> per(4);
  std::vector<std::thread> threads;
  for (auto& v : per) {
    threads.emplace_back([&v] {
      for (int i = 0; i < 5000; ++i) v.push_back(uuid_v7());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (auto& v : per) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), 20000u);
}

TEST(UuidV7, FloorSortsAboveEarlierIdsAndBelowLaterOnes) {
  using std::chrono::milliseconds;
  const std::regex shape("^[0-9a-f]{8}-[0-9a-f]{4}-7000-8000-000000000000$");
  const auto made_before = uuid_v7();
  const auto now = std::chrono::system_clock::now();
  const auto made_after = uuid_v7();
  const auto ahead = uuid_v7_floor(now + milliseconds(1));
  const auto behind = uuid_v7_floor(now - milliseconds(1));
  EXPECT_TRUE(std::regex_match(ahead, shape)) << ahead;
  EXPECT_EQ(timestamp_ms(ahead),
            static_cast<std::uint64_t>(
                std::chrono::duration_cast<milliseconds>(now.time_since_epoch()).count() + 1));
  EXPECT_LT(made_before, ahead);  // made before `now`: below the floor of a later millisecond
  EXPECT_LE(behind, made_after);  // made after `now`: at or above the floor of an earlier one
  EXPECT_EQ(uuid_v7_floor(std::chrono::system_clock::time_point{}),
            "00000000-0000-7000-8000-000000000000");
}

TEST(IsUuid, AcceptsTheLayoutInAnyCaseAndNothingElse) {
  EXPECT_TRUE(is_uuid(uuid_v7()));
  EXPECT_TRUE(is_uuid("01890A5D-AC96-774B-BCCE-B302099A8057"));
  EXPECT_FALSE(is_uuid("01890a5d-ac96-774b-bcce-b302099a805"));    // short
  EXPECT_FALSE(is_uuid("01890a5d-ac96-774b-bcce-b302099a8057a"));  // long
  EXPECT_FALSE(is_uuid("01890a5dxac96-774b-bcce-b302099a8057"));   // separator
  EXPECT_FALSE(is_uuid("01890a5d-ac96-774b-bcce-b302099a805g"));   // not hex
  EXPECT_FALSE(is_uuid(""));
}

TEST(Rfc3339, FormatsUtcWithMilliseconds) {
  using namespace std::chrono;
  const system_clock::time_point t{milliseconds{1795342272345}};  // 2026-11-22T10:11:12.345Z
  EXPECT_EQ(to_rfc3339(t), "2026-11-22T10:11:12.345Z");
  EXPECT_EQ(to_rfc3339(system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(to_rfc3339(system_clock::time_point{milliseconds{7}}), "1970-01-01T00:00:00.007Z");
}

TEST(Rfc3339, NowHasTheShape) {
  EXPECT_TRUE(std::regex_match(now_rfc3339(),
                               std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)")));
}

TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(RandomToken, UrlSafeBase64WithoutPadding) {
  const std::regex alphabet("^[A-Za-z0-9_-]*$");
  EXPECT_EQ(random_token(24).size(), 32u);
  EXPECT_EQ(random_token(1).size(), 2u);
  EXPECT_EQ(random_token(2).size(), 3u);
  EXPECT_EQ(random_token(0), "");
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(std::regex_match(random_token(), alphabet));
  EXPECT_NE(random_token(), random_token());
}

TEST(RandomHex, LengthAndAlphabet) {
  EXPECT_TRUE(std::regex_match(random_hex(32), std::regex("^[0-9a-f]{32}$")));
  EXPECT_TRUE(std::regex_match(random_hex(16), std::regex("^[0-9a-f]{16}$")));
  EXPECT_EQ(random_hex(5).size(), 5u);
  EXPECT_NE(random_hex(32), random_hex(32));
}
