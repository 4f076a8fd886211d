// fleetctl bench: an open-loop load of POST /v1/orders at a fixed rate (scheduled by the clock,
// not by answers), then throughput and latency from the order agent's own timestamps.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/stack/stack.hpp"
#include "cpu_usage.hpp"
#include "local_stack.hpp"
#include "scenario/gateway_client.hpp"
#include "scenario/outcomes.hpp"

namespace fleetctl {

using commerce::scenario::GatewayClient;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr int kSkus = 20;
constexpr int kClientThreads = 96;

std::string sku(int i) { return "BENCH-" + std::to_string(i); }

double round1(double v) { return std::round(v * 10) / 10; }

// Send times come from the clock; a pool of client threads takes them from this queue, so a
// slow answer delays nothing but itself.
class SendQueue {
 public:
  void push(std::size_t i) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(i);
    }
    ready_.notify_one();
  }
  void close() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    ready_.notify_all();
  }
  bool pop(std::size_t& i) {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return false;
    i = items_.front();
    items_.pop_front();
    return true;
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::size_t> items_;
  bool closed_ = false;
};

void print_cpu_per_order(const CpuByGroup& cpu, double orders) {
  std::vector<std::pair<double, std::string>> rows;
  double sum = 0;
  for (const auto& [group, seconds] : cpu) {
    rows.push_back({seconds, group});
    sum += seconds;
  }
  std::sort(rows.rbegin(), rows.rend());
  std::cout << std::fixed << std::setprecision(2) << "  CPU per order sent in the measured window "
            << sum * 1000 / orders << " ms:";
  for (const auto& [seconds, group] : rows) {
    if (seconds * 1000 / orders < 0.05) continue;
    std::cout << " " << group << " " << seconds * 1000 / orders;
  }
  std::cout << std::defaultfloat << "\n";
}

void reset_statement_stats(const std::string& admin_url) {
  pqxx::connection db(admin_url);
  pqxx::nontransaction tx(db);
  tx.exec("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
  tx.exec("SELECT pg_stat_statements_reset()");
}

std::string top_statements(const std::string& admin_url, long limit, double orders) {
  pqxx::connection db(admin_url);
  pqxx::nontransaction tx(db);
  const auto rows = tx.exec_params(
      "SELECT r.rolname, s.calls, s.total_exec_time, left(regexp_replace(s.query, '\\s+', ' ', "
      "'g'), 110) FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid "
      "ORDER BY s.total_exec_time DESC LIMIT $1",
      limit);
  const auto totals = tx.exec1(
      "SELECT coalesce(sum(calls), 0), coalesce(sum(total_exec_time), 0) "
      "FROM pg_stat_statements");
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << "  statements per order sent "
      << totals[0].as<double>() / orders << ", execution " << totals[1].as<double>() / orders
      << " ms per order; top by time (calls/order, ms/order, role, query):\n";
  for (const auto& row : rows) {
    out << "    " << std::setw(5) << row[1].as<double>() / orders << " " << std::setw(6)
        << row[2].as<double>() / orders << "  " << row[0].c_str() << "  " << row[3].c_str() << "\n";
  }
  return out.str();
}

// Median time of each leg of the saga, from the agents' own timestamps: where an order's
// latency goes (each leg but the first is a command and its answer: two trips through the bus).
std::string leg_medians(const std::string& admin_url, const std::string& merchant_id,
                        double since_epoch) {
  pqxx::connection db(admin_url);
  pqxx::nontransaction tx(db);
  const auto r = tx.exec_params1(
      "WITH legs AS ("
      "  SELECT o.placed_at, o.confirmed_at,"
      "    min(st.at) FILTER (WHERE st.from_state IS NULL) AS started,"
      "    min(st.at) FILTER (WHERE st.to_state = 'authorizing') AS reserved,"
      "    min(st.at) FILTER (WHERE st.to_state = 'confirming') AS authorized,"
      "    min(st.at) FILTER (WHERE st.to_state = 'completed') AS completed"
      "  FROM \"order\".orders o JOIN orchestration.sagas g ON g.order_id = o.id"
      "  JOIN orchestration.saga_steps st ON st.saga_id = g.id"
      "  WHERE o.merchant_id = $1 AND o.status = 'confirmed' AND o.placed_at >= to_timestamp($2)"
      "  GROUP BY o.id, o.placed_at, o.confirmed_at) "
      "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started - placed_at)),"
      "  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM reserved - started)),"
      "  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM authorized - reserved)),"
      "  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM confirmed_at - "
      "authorized)),"
      "  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM completed - confirmed_at)) "
      "FROM legs",
      merchant_id, since_epoch);
  const char* names[] = {"placed->saga started", "reserve stock", "authorize payment",
                         "->order confirmed", "->saga completed"};
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << "  median legs (ms):";
  for (int i = 0; i < 5; ++i) {
    out << " " << names[i] << " " << (r[i].is_null() ? 0.0 : r[i].as<double>() * 1000);
    if (i < 4) out << ",";
  }
  out << "\n";
  return out.str();
}

// p50 and p99 of placed->confirmed for each 5-s window of placement: a tail spread evenly over
// the run is queueing; one bad window is a stall (a vacuum, a checkpoint, a rebalance).
std::string latency_windows(const std::string& admin_url, const std::string& merchant_id,
                            double since_epoch) {
  pqxx::connection db(admin_url);
  pqxx::nontransaction tx(db);
  const auto rows = tx.exec_params(
      "SELECT floor(extract(epoch FROM placed_at - to_timestamp($2)) / 5)::int AS w,"
      "  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM confirmed_at - placed_at)),"
      "  percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM confirmed_at - placed_at))"
      " FROM \"order\".orders WHERE merchant_id = $1 AND status = 'confirmed'"
      " AND placed_at >= to_timestamp($2) GROUP BY w ORDER BY w",
      merchant_id, since_epoch);
  std::ostringstream out;
  out << std::fixed << std::setprecision(0) << "  p50/p99 ms by 5-s window:";
  for (const auto& row : rows) {
    out << " " << row[1].as<double>() * 1000 << "/" << row[2].as<double>() * 1000;
  }
  out << "\n";
  return out.str();
}

}  // namespace

int run_bench(const Flags& flags) {
  const long rate = flag_int(flags, "rate", 300);
  const long seconds = flag_int(flags, "seconds", 30);
  // Sustained means after warm-up. Apache Kafka's JVM compiles its hot paths for the first minute
  // or so of load (at 300/s its C2 compiler took half of the broker's CPU 30-50 s in, a third of
  // a core): a broker in service compiled them long ago. So the warm-up lasts at least --warmup
  // seconds and then goes on while the JIT still compiles, up to --warmup-max.
  const bool kafka = broker_kind(flags) == commerce::stack::BrokerKind::kafka;
  const long warmup = flag_int(flags, "warmup", kafka ? 30 : 5);
  const long warmup_max = std::max(warmup, flag_int(flags, "warmup-max", kafka ? 180 : warmup));
  if (rate <= 0 || seconds <= 0) throw std::invalid_argument("--rate and --seconds must be > 0");

  // --statements N: where PostgreSQL's time goes, from pg_stat_statements (loaded for this run).
  const long statements = flag_int(flags, "statements", 0);
  if (statements > 0) {
    std::string settings = "shared_preload_libraries=pg_stat_statements";
    if (const char* extra = std::getenv("FLEET_PG_SETTINGS")) settings += std::string(" ") + extra;
    setenv("FLEET_PG_SETTINGS", settings.c_str(), 1);
  }
  // A throwaway cluster (fsync on, as in `up`) and any free ports, so a running `up` is fine.
  LocalStack stack({data_dir(flags) + "/bench", true, false, broker_kind(flags)});
  stack.start();

  commerce::http::Client client({std::chrono::seconds(30), kClientThreads});
  GatewayClient gateway(stack.gateway_url(), client);
  const std::string admin_url = stack.fleet().database_admin_url();
  const auto merchant = gateway.create_merchant(stack.fleet().operator_token(),
                                                "Bench " + commerce::core::now_rfc3339());
  if (!gateway.wait_until_key_works(merchant.api_key, 30s))
    throw std::runtime_error("the new API key did not reach the gateway within 30 s");
  for (int i = 0; i < kSkus; ++i) {
    gateway.create_product(merchant.api_key, sku(i), "Bench product " + std::to_string(i),
                           500 + 100 * i);
    gateway.set_stock(merchant.api_key, sku(i), 100'000'000);
  }

  note("load: " + std::to_string(rate) + " orders/s for " + std::to_string(warmup) + " s warm-up" +
       (warmup_max > warmup ? " (longer while Kafka's JIT compiles)" : "") + " + " +
       std::to_string(seconds) + " s measured");
  SendQueue queue;
  std::atomic<std::size_t> errors{0}, accepted{0};
  std::mutex error_mutex;
  std::string first_error;
  std::vector<std::thread> clients;
  for (int t = 0; t < kClientThreads; ++t) {
    clients.emplace_back([&] {
      std::size_t i;
      while (queue.pop(i)) {
        std::mt19937 rng(static_cast<unsigned>(i));
        std::uniform_int_distribution<int> pick(0, kSkus - 1);
        const json body =
            GatewayClient::order_body("bench" + std::to_string(i) + "@example.com",
                                      {{sku(pick(rng)), 1}, {sku(pick(rng)), 2}}, "tok_visa");
        std::string problem;
        try {
          auto r = gateway.place_order(merchant.api_key, body, "bench-" + std::to_string(i));
          if (r.status == 201) {
            ++accepted;
            continue;
          }
          problem = "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
        } catch (const std::exception& e) {
          problem = e.what();
        }
        ++errors;
        std::lock_guard lock(error_mutex);
        if (first_error.empty()) first_error = problem;
      }
    });
  }

  const auto start = std::chrono::steady_clock::now();
  std::size_t sent = 0, max_backlog = 0;
  // Order i leaves at start + i / rate, whatever the phase.
  const auto send_until = [&](std::size_t end) {
    for (; sent < end; ++sent) {
      std::this_thread::sleep_until(
          start + std::chrono::microseconds(static_cast<std::int64_t>(sent * 1e6 / rate)));
      queue.push(sent);
      max_backlog = std::max(max_backlog, queue.size());
    }
  };
  const auto orders_in = [&](long s) { return static_cast<std::size_t>(rate * s); };
  constexpr long kJitProbe = 5;  // seconds per look at the JIT
  long warmed = std::max(0L, warmup - kJitProbe);
  send_until(orders_in(warmed));
  double jit_before = jit_compiler_seconds();
  double jit_share = 0;  // of one core, over the last probe
  while (warmed < warmup_max) {
    const long step = std::min(kJitProbe, warmup_max - warmed);
    send_until(orders_in(warmed + step));
    warmed += step;
    const double jit_now = jit_compiler_seconds();
    jit_share = (jit_now - jit_before) / static_cast<double>(step);
    jit_before = jit_now;
    // Done once past the minimum and the compilers are (nearly) idle: a few recompilations
    // go on for minutes in a broker in service too.
    if (warmed >= warmup && jit_share < 0.05) break;
  }
  if (warmed > warmup || jit_share >= 0.05) {
    note("warm-up took " + std::to_string(warmed) + " s; Kafka's JIT compilers used " +
         std::to_string(static_cast<int>(jit_share * 100)) + " % of a core in its last " +
         std::to_string(kJitProbe) + " s");
  }

  // CPU of the whole process tree over the measured window: what an order costs, and where.
  const std::size_t first_measured = sent;
  const std::size_t total = first_measured + orders_in(seconds);
  const double since_epoch =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  const CpuByGroup cpu_before = sample_cpu_tree();
  const std::optional<MachineTicks> machine_before = sample_machine_ticks();
  if (statements > 0) reset_statement_stats(admin_url);
  send_until(total);
  queue.close();
  for (auto& c : clients) c.join();
  const auto cpu = cpu_spent(cpu_before, sample_cpu_tree());
  const auto machine_after = sample_machine_ticks();
  const std::string statement_report =
      statements > 0
          ? top_statements(admin_url, statements, static_cast<double>(total - first_measured))
          : "";
  const double sending_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!first_error.empty()) note("first error: " + first_error);

  note("waiting for every saga to end");
  const bool ended = commerce::stack::wait_until(
      [&] { return commerce::scenario::all_sagas_ended(admin_url, merchant.id); }, 180s, 200ms);
  const auto stats = commerce::scenario::throughput(admin_url, merchant.id, since_epoch);
  const auto outcome = commerce::scenario::count_outcomes(admin_url, merchant.id);
  const auto legs = leg_medians(admin_url, merchant.id, since_epoch);
  const auto windows = latency_windows(admin_url, merchant.id, since_epoch);

  std::string cancelled = outcome.cancel_reasons.empty() ? "none" : "";
  for (const auto& [reason, n] : outcome.cancel_reasons)
    cancelled += reason + "=" + std::to_string(n) + " ";

  note("stopping the fleet");
  bool clean = false;
  try {
    clean = stack.stop();
  } catch (const std::exception& e) {
    note(std::string("stopping failed: ") + e.what());
  }

  std::cout << "\nBench: " << rate << " orders/s offered for " << seconds << " s (after " << warmed
            << " s warm-up), " << kClientThreads << " client threads\n"
            << "  sent " << total << " in " << round1(sending_s) << " s, accepted " << accepted
            << ", errors " << errors << ", largest send backlog " << max_backlog << "\n"
            << "  measured orders finished " << stats.finished << " (confirmed " << stats.confirmed
            << ") in " << round1(stats.seconds) << " s; cancelled over the whole run: " << cancelled
            << "\n"
            << "  throughput " << round1(stats.orders_per_sec)
            << " orders/s, placed->confirmed p50 " << round1(stats.p50_ms) << " ms, p99 "
            << round1(stats.p99_ms) << " ms\n"
            << "  all sagas ended: " << (ended ? "yes" : "NO") << ", stuck " << outcome.stuck()
            << ", duplicate effects " << outcome.duplicate_effects() << ", agents stopped "
            << (clean ? "cleanly" : "NOT cleanly") << "\n";
  std::cout << legs << windows;
  print_cpu_per_order(cpu, static_cast<double>(total - first_measured));
  if (machine_before && machine_after) {
    std::cout << "  machine in the measured window: "
              << describe_machine_cpu(*machine_before, *machine_after) << "\n";
  }
  std::cout << statement_report;
  std::cout << "\n";
  nlohmann::ordered_json result = {{"orders_per_sec", round1(stats.orders_per_sec)},
                                   {"p50_ms", round1(stats.p50_ms)},
                                   {"p99_ms", round1(stats.p99_ms)},
                                   {"errors", errors.load()}};
  std::cout << result.dump() << std::endl;
  return ended && clean && errors == 0 && outcome.duplicate_effects() == 0 ? 0 : 1;
}

}  // namespace fleetctl
