// The outbox gauges are read through the pool at every scrape, whether or not a relay runs.
#include <gtest/gtest.h>

#include <regex>

#include "../../store/tests/store_fixture.hpp"
#include "../src/runtime_detail.hpp"

using namespace commerce;
using store::testing::provision_migrated;

namespace {

double sample(const std::string& text, const std::string& name) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("\\n" + name + " ([0-9.e+-]+)\\n"))) return -1;
  return std::stod(m[1]);
}

}  // namespace

TEST(OutboxBacklog, IsReadAtEveryScrapeWithoutARelay) {
  auto db = provision_migrated("backlog");
  metrics::Registry registry;
  store::ConnectionPool pool(db.url, 2, &registry);
  runtime::detail::collect_outbox_backlog(registry, pool);

  auto text = registry.render();
  EXPECT_EQ(sample(text, "outbox_backlog_rows"), 0) << text;
  EXPECT_EQ(sample(text, "outbox_oldest_age_seconds"), 0) << text;

  pool.transact([](pqxx::work& tx) {
    for (int i = 0; i < 3; ++i) {
      store::append_outbox(tx, "commerce.test.events", "k",
                           bus::make_envelope("order.OrderPlaced", "m1", {{"n", i}}));
    }
    // As if nothing had published them for a minute and a half.
    tx.exec0("UPDATE outbox SET created_at = now() - interval '90 seconds'");
  });
  text = registry.render();
  EXPECT_EQ(sample(text, "outbox_backlog_rows"), 3) << text;
  EXPECT_GE(sample(text, "outbox_oldest_age_seconds"), 90) << text;
  EXPECT_LT(sample(text, "outbox_oldest_age_seconds"), 3600) << text;
}

TEST(OutboxBacklog, AnUnreachableDatabaseKeepsTheLastValues) {
  metrics::Registry registry;
  store::ConnectionPool pool("postgresql://nobody@127.0.0.1:1/none?connect_timeout=1", 1,
                             &registry);
  runtime::detail::collect_outbox_backlog(registry, pool);
  const auto text = registry.render();  // must not throw
  EXPECT_EQ(sample(text, "outbox_backlog_rows"), 0) << text;
}
