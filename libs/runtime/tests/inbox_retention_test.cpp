// The agent's inbox retention loop, against a real PostgreSQL.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "../../store/tests/store_fixture.hpp"
#include "../src/runtime_detail.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/stack/stack.hpp"

using namespace commerce;
using store::testing::provision_migrated;
using store::testing::query_value;

namespace {

double pruned_total(metrics::Registry& registry) {
  std::smatch m;
  const auto text = registry.render();
  if (!std::regex_search(text, m, std::regex("\\ninbox_pruned_total ([0-9.e+-]+)\\n"))) return -1;
  return std::stod(m[1]);
}

}  // namespace

TEST(InboxRetention, ForgetsOldIdsInBatchesAndKeepsRecentOnes) {
  using namespace std::chrono;
  auto db = provision_migrated("inbox_retention");
  metrics::Registry registry;
  store::ConnectionPool pool(db.url, 2, &registry);
  std::vector<std::string> old_ids;
  for (int i = 0; i < 25; ++i) {
    auto id = core::uuid_v7_floor(system_clock::now() - hours(24 * 30) + milliseconds(i));
    old_ids.push_back(id);
  }
  const auto recent = core::uuid_v7();
  pool.transact([&](pqxx::work& tx) {
    auto all = old_ids;
    all.push_back(recent);
    store::claim_inbox(tx, all);
    tx.exec0("UPDATE inbox SET handled_at = now() - interval '30 days' WHERE message_id <> " +
             tx.quote(recent));
  });

  runtime::detail::InboxRetention retention;
  retention.batch = 10;  // three batches in one round
  retention.every = milliseconds(50);
  std::jthread loop([&](std::stop_token stop) {
    runtime::detail::keep_inbox_within_retention(stop, pool, registry, retention);
  });
  EXPECT_TRUE(
      stack::wait_until([&] { return query_value(db.url, "SELECT count(*) FROM inbox") == 1; },
                        seconds(20), milliseconds(50)));
  EXPECT_TRUE(stack::wait_until([&] { return pruned_total(registry) == 25; }, seconds(20),
                                milliseconds(50)))
      << registry.render();
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox WHERE message_id = '" + recent + "'"),
            1);
  loop.request_stop();
  loop.join();  // stops promptly: the wait ends with the stop request
}
