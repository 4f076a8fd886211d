#include "commerce/metrics/registry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

using namespace commerce::metrics;

TEST(Registry, RendersCounterWithHelpTypeAndLabels) {
  Registry r;
  auto& f = r.counter("http_requests_total", "HTTP requests.", {"route", "method", "status"});
  f.with({"/v1/orders", "POST", "201"}).inc();
  f.with({"/v1/orders", "POST", "201"}).inc(2);
  f.with({"/healthz", "GET", "200"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP http_requests_total HTTP requests.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1\n"
            "http_requests_total{route=\"/v1/orders\",method=\"POST\",status=\"201\"} 3\n");
}

TEST(Registry, LabelLessMetricsStartAtZero) {
  Registry r;
  r.counter("jobs_total", "Jobs.");
  r.gauge("queue_depth", "Depth.");
  EXPECT_EQ(r.render(),
            "# HELP jobs_total Jobs.\n"
            "# TYPE jobs_total counter\n"
            "jobs_total 0\n"
            "# HELP queue_depth Depth.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 0\n");
}

TEST(Registry, EscapesLabelValuesAndHelp) {
  Registry r;
  r.gauge("g", "line one\nback\\slash \"quoted\"", {"v"}).with({"a\\b\"c\nd"}).set(1);
  EXPECT_EQ(r.render(),
            "# HELP g line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE g gauge\n"
            "g{v=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(Registry, NumberSpelling) {
  Registry r;
  auto& g = r.gauge("g", "h", {"k"});
  g.with({"a"}).set(3);
  g.with({"b"}).set(-2.5);
  g.with({"c"}).set(std::numeric_limits<double>::infinity());
  g.with({"d"}).set(-std::numeric_limits<double>::infinity());
  g.with({"e"}).set(std::nan(""));
  g.with({"f"}).set(1e15);
  g.with({"g"}).set(0.1);
  g.with({"h"}).set(1e300);
  EXPECT_EQ(r.render(),
            "# HELP g h\n"
            "# TYPE g gauge\n"
            "g{k=\"a\"} 3\n"
            "g{k=\"b\"} -2.5\n"
            "g{k=\"c\"} +Inf\n"
            "g{k=\"d\"} -Inf\n"
            "g{k=\"e\"} NaN\n"
            "g{k=\"f\"} 1000000000000000\n"
            "g{k=\"g\"} 0.1\n"
            "g{k=\"h\"} 1e+300\n");
}

TEST(Registry, RendersHistogramBucketsCumulatively) {
  Registry r;
  auto& h = r.histogram("rpc_duration_seconds", "Latency.", {"route"}, {0.1, 0.5, 1});
  auto& child = h.with({"/x"});
  child.observe(0.05);
  child.observe(0.1);  // le is inclusive
  child.observe(0.3);
  child.observe(2);
  EXPECT_EQ(r.render(),
            "# HELP rpc_duration_seconds Latency.\n"
            "# TYPE rpc_duration_seconds histogram\n"
            "rpc_duration_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
            "rpc_duration_seconds_bucket{route=\"/x\",le=\"0.5\"} 3\n"
            "rpc_duration_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "rpc_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "rpc_duration_seconds_sum{route=\"/x\"} 2.45\n"
            "rpc_duration_seconds_count{route=\"/x\"} 4\n");
}

TEST(Registry, LabelLessHistogram) {
  Registry r;
  r.histogram("d_seconds", "D.", {}, {1}).with().observe(0.5);
  EXPECT_EQ(r.render(),
            "# HELP d_seconds D.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{le=\"1\"} 1\n"
            "d_seconds_bucket{le=\"+Inf\"} 1\n"
            "d_seconds_sum 0.5\n"
            "d_seconds_count 1\n");
}

TEST(Histogram, SnapshotSortsBoundsAndDropsExplicitInf) {
  Histogram h({5, 1, std::numeric_limits<double>::infinity(), 1});
  h.observe(3);
  const auto s = h.snapshot();
  EXPECT_EQ(s.upper_bounds, (std::vector<double>{1, 5}));
  EXPECT_EQ(s.cumulative_counts, (std::vector<std::uint64_t>{0, 1, 1}));
  EXPECT_EQ(s.count, 1u);
  EXPECT_DOUBLE_EQ(s.sum, 3);
}

TEST(Registry, DefaultBucketsSpanMillisecondToTenSeconds) {
  const auto b = default_seconds_buckets();
  EXPECT_DOUBLE_EQ(b.front(), 0.001);
  EXPECT_DOUBLE_EQ(b.back(), 10);
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
}

TEST(Registry, CountersMustEndInTotal) {
  Registry r;
  EXPECT_THROW(r.counter("http_requests", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("_total", "x"), std::invalid_argument);
  EXPECT_NO_THROW(r.counter("a_total", "x"));
}

TEST(Registry, RejectsBadNamesAndLabels) {
  Registry r;
  EXPECT_THROW(r.gauge("9lives", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("has-dash", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok", "x", {"bad:label"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("ok2", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "x", {"le"}), std::invalid_argument);
  EXPECT_NO_THROW(r.gauge("ns:sub_metric", "x", {"label_1"}));
}

TEST(Registry, SameNameReturnsSameFamilyOrThrows) {
  Registry r;
  auto& a = r.counter("c_total", "x", {"k"});
  auto& b = r.counter("c_total", "x", {"k"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.counter("c_total", "x", {"other"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("c_total", "x", {"k"}), std::invalid_argument);
}

TEST(Family, WrongNumberOfLabelValuesThrows) {
  Registry r;
  auto& f = r.counter("c_total", "x", {"a", "b"});
  EXPECT_THROW(f.with({"1"}), std::invalid_argument);
  EXPECT_THROW(f.with({"1", "2", "3"}), std::invalid_argument);
  EXPECT_EQ(&f.with({"1", "2"}), &f.with({"1", "2"}));
}

TEST(Counter, RejectsDecrease) {
  Counter c;
  EXPECT_THROW(c.inc(-1), std::invalid_argument);
  EXPECT_EQ(c.value(), 0);
}

TEST(Gauge, IncDecSet) {
  Gauge g;
  g.inc(5);
  g.dec(2);
  EXPECT_EQ(g.value(), 3);
  g.set(-1);
  EXPECT_EQ(g.value(), -1);
}

TEST(Registry, CollectorsRunBeforeRender) {
  Registry r;
  auto& g = r.gauge("backlog_rows", "Rows.");
  int calls = 0;
  r.on_collect([&] {
    ++calls;
    g.with().set(17);
    r.gauge("late_gauge", "Registered by a collector.");  // must not deadlock
  });
  const auto text = r.render();
  EXPECT_EQ(calls, 1);
  EXPECT_NE(text.find("backlog_rows 17\n"), std::string::npos) << text;
  EXPECT_NE(text.find("late_gauge 0\n"), std::string::npos) << text;
}

TEST(Registry, ConcurrentIncrementsGiveExactTotals) {
  Registry r;
  auto& counters = r.counter("work_total", "x", {"worker"});
  auto& hist = r.histogram("work_seconds", "x", {}, {0.5});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        counters.with({"shared"}).inc();
        counters.with({std::to_string(t % 2)}).inc();
        hist.with().observe(i % 2 == 0 ? 0.25 : 1.0);
        if (i % 1000 == 0) (void)r.render();  // rendering concurrently is safe
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(counters.with({"shared"}).value(), kThreads * kPerThread);
  EXPECT_EQ(counters.with({"0"}).value(), kThreads / 2 * kPerThread);
  const auto s = hist.with().snapshot();
  EXPECT_EQ(s.count, static_cast<std::uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.cumulative_counts[0], static_cast<std::uint64_t>(kThreads * kPerThread / 2));
  EXPECT_DOUBLE_EQ(s.sum, kThreads * kPerThread / 2 * 1.25);
  EXPECT_NE(r.render().find("work_total{worker=\"shared\"} 160000\n"), std::string::npos);
}
