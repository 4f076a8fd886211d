// fleetctl demo: a merchant, a catalogue and a few hundred orders through the gateway, then
// what the agents' own tables say happened. The last stdout line is the machine-readable verdict.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <vector>

#include "commands.hpp"
#include "commerce/core/ids.hpp"
#include "commerce/stack/stack.hpp"
#include "local_stack.hpp"
#include "scenario/gateway_client.hpp"
#include "scenario/outcomes.hpp"

namespace fleetctl {

using commerce::scenario::GatewayClient;
using commerce::scenario::OrderLineRequest;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct Product {
  const char* sku;
  const char* title;
  std::int64_t price_minor;
};

// Plentiful stock for everything but the limited poster, which runs out during the demo.
const std::vector<Product> kCatalogue = {
    {"TEE-BLACK-M", "T-shirt black M", 1999},     {"TEE-WHITE-L", "T-shirt white L", 1999},
    {"HOODIE-GREY-M", "Hoodie grey M", 4999},     {"CAP-NAVY", "Cap navy", 1499},
    {"MUG-LOGO", "Mug with logo", 899},           {"SOCKS-3PACK", "Socks, 3 pairs", 1299},
    {"TOTE-CANVAS", "Canvas tote bag", 1599},     {"STICKERS-10", "Sticker pack", 399},
    {"BOTTLE-STEEL", "Steel bottle 0.5 l", 2499}, {"POSTER-LIMITED", "Limited poster", 2999},
};
constexpr const char* kScarceSku = "POSTER-LIMITED";
constexpr std::int64_t kScarceStock = 20;
constexpr std::int64_t kPlentifulStock = 100000;

// ~80% good cards, ~10% declined, ~5% insufficient funds, the rest good as well.
std::string card_for(std::size_t i) {
  switch (i % 20) {
    case 16:
    case 17:
      return "tok_chargeDeclined";
    case 18:
      return "tok_chargeDeclinedInsufficientFunds";
    default:
      return "tok_visa";
  }
}

std::vector<OrderLineRequest> lines_for(std::size_t i, std::mt19937& rng) {
  std::vector<OrderLineRequest> lines;
  std::uniform_int_distribution<std::size_t> product(0, kCatalogue.size() - 2);
  std::uniform_int_distribution<int> quantity(1, 3);
  const int count = 1 + static_cast<int>(i % 3);
  for (int k = 0; k < count; ++k) lines.push_back({kCatalogue[product(rng)].sku, quantity(rng)});
  // Every 7th order also wants posters: together they ask for more than there are.
  if (i % 7 == 3) lines.push_back({kScarceSku, 1 + static_cast<std::int64_t>(i % 2)});
  return lines;
}

std::string fixed(double v, int digits = 1) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

}  // namespace

int run_demo(const Flags& flags) {
  const auto orders = static_cast<std::size_t>(flag_int(flags, "orders", 300));
  // --ports free: every agent and PostgreSQL on a free port (tests beside a running fleet);
  // the bound ports are in <data>/logs/<instance>.ready.
  const auto ports = flags.count("ports") != 0 ? flags.at("ports") : std::string("fixed");
  if (ports != "fixed" && ports != "free")
    throw std::invalid_argument("--ports: expected fixed or free, got '" + ports + "'");
  LocalStack stack({data_dir(flags), false, ports == "fixed", broker_kind(flags)});
  stack.start();

  commerce::http::Client client({std::chrono::seconds(15), 32});
  GatewayClient gateway(stack.gateway_url(), client);
  const std::string admin_url = stack.fleet().database_admin_url();

  note("creating the demo merchant");
  const auto merchant = gateway.create_merchant(stack.fleet().operator_token(),
                                                "Demo Shop " + commerce::core::now_rfc3339());
  if (!gateway.wait_until_key_works(merchant.api_key, 30s))
    throw std::runtime_error("the new API key did not reach the gateway within 30 s");

  note("creating the catalogue and stock");
  for (const auto& p : kCatalogue) {
    gateway.create_product(merchant.api_key, p.sku, p.title, p.price_minor);
    gateway.set_stock(merchant.api_key, p.sku,
                      std::string(p.sku) == kScarceSku ? kScarceStock : kPlentifulStock);
  }

  note("placing " + std::to_string(orders) + " orders from 8 clients");
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> accepted{0}, failed{0}, replays_consistent{0}, replays_differing{0};
  std::mutex error_mutex;
  std::string first_error;
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      for (std::size_t i = next++; i < orders; i = next++) {
        const json body = GatewayClient::order_body("customer" + std::to_string(i) + "@example.com",
                                                    lines_for(i, rng), card_for(i));
        const std::string key = "demo-" + merchant.id + "-" + std::to_string(i);
        try {
          const std::string id = gateway.place_order_reliably(merchant.api_key, body, key);
          ++accepted;
          // Every 25th order is sent again, as a client that lost the answer would: the same
          // order must come back, not a second one.
          if (i % 25 == 0) {
            const std::string again = gateway.place_order_reliably(merchant.api_key, body, key);
            ++(again == id ? replays_consistent : replays_differing);
          }
        } catch (const std::exception& e) {
          ++failed;
          std::lock_guard lock(error_mutex);
          if (first_error.empty()) first_error = e.what();
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  const double placing_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!first_error.empty()) note("an order failed: " + first_error);

  note("waiting for every saga to end");
  const bool ended = commerce::stack::wait_until(
      [&] { return commerce::scenario::all_sagas_ended(admin_url, merchant.id); }, 120s, 100ms);
  const double elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!ended) note("some sagas did not end within 120 s");

  const auto outcome = commerce::scenario::count_outcomes(admin_url, merchant.id);
  std::int64_t scarce_left = -1;
  try {
    scarce_left = gateway.stock(merchant.api_key, kScarceSku).at("available").get<std::int64_t>();
  } catch (const std::exception& e) {
    note(std::string("could not read the scarce SKU's stock: ") + e.what());
  }

  // --hold-file PATH: keep the fleet up after the scenario until PATH exists (at most 120 s), so
  // an observer (the Prometheus test) can look at the finished state before it goes away.
  if (auto hold = flags.find("hold-file"); hold != flags.end()) {
    note("holding the fleet until " + hold->second + " exists");
    if (!commerce::stack::wait_until([&] { return std::filesystem::exists(hold->second); }, 120s,
                                     100ms)) {
      note("the hold file did not appear within 120 s");
    }
  }

  note("stopping the fleet");
  bool clean = false;
  try {
    clean = stack.stop();
  } catch (const std::exception& e) {
    note(std::string("stopping failed: ") + e.what());
  }

  std::cout << "\nDemo merchant " << merchant.id << "\n"
            << "  orders placed      " << outcome.placed << " of " << orders << " (" << failed
            << " failed at the gateway; " << replays_consistent << " of "
            << (replays_consistent + replays_differing)
            << " replays with the same Idempotency-Key returned the same order)\n"
            << "  confirmed          " << outcome.confirmed << "\n"
            << "  cancelled          " << outcome.cancelled << "\n";
  for (const auto& [reason, n] : outcome.cancel_reasons)
    std::cout << "    " << std::left << std::setw(40) << reason << n << "\n";
  std::cout << "  still open         " << outcome.stuck() << "\n"
            << "  duplicate effects  " << outcome.duplicate_effects() << "\n"
            << "  " << kScarceSku << " left    " << scarce_left << " of " << kScarceStock << "\n"
            << "  elapsed            " << fixed(elapsed_s) << " s (placing took "
            << fixed(placing_s) << " s), " << fixed(outcome.placed / elapsed_s)
            << " orders/s end to end\n"
            << "  agents stopped     " << (clean ? "cleanly (exit 0)" : "NOT cleanly") << "\n"
            << "  logs               " << data_dir(flags) << "/logs\n\n";
  nlohmann::ordered_json verdict = {{"placed", outcome.placed},
                                    {"confirmed", outcome.confirmed},
                                    {"cancelled", outcome.cancelled},
                                    {"stuck", outcome.stuck()},
                                    {"duplicate_effects", outcome.duplicate_effects()}};
  std::cout << verdict.dump() << std::endl;
  const bool ok = outcome.stuck() == 0 && outcome.duplicate_effects() == 0 && clean &&
                  failed == 0 && replays_differing == 0 &&
                  outcome.placed == static_cast<std::int64_t>(orders);
  return ok ? 0 : 1;
}

}  // namespace fleetctl
