#pragma once
// The whole fleet for one test binary: its own PostgreSQL cluster and broker (the development
// broker, or a real Apache Kafka with FLEET_BROKER=kafka), every agent as a child process on any
// free ports, started once (SetUpTestSuite). Each test gets a fresh merchant, so tests isolate by
// tenant and never see each other's orders or stock.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commerce/http/http.hpp"
#include "commerce/stack/stack.hpp"
#include "scenario/gateway_client.hpp"
#include "scenario/outcomes.hpp"

namespace commerce::integration {

class FleetTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;

  static stack::Fleet& fleet();
  static scenario::GatewayClient& gateway();
  static const std::string& admin_url();
  static const std::string& brokers();

  // A product with stock for the test's merchant; returns its SKU (unique per test).
  std::string add_product(const std::string& sku_hint, std::int64_t price_minor,
                          std::int64_t on_hand);
  nlohmann::json stock(const std::string& sku);
  // POST /v1/orders (with a fresh Idempotency-Key, retried on 5xx): the order id.
  std::string place(const std::vector<scenario::OrderLineRequest>& lines,
                    const std::string& card = "tok_visa");
  // GET /v1/orders/{id} until its status is final; fails the test after `timeout`.
  nlohmann::json wait_final(const std::string& order_id,
                            std::chrono::milliseconds timeout = std::chrono::seconds(60));
  std::int64_t rows(const std::string& table, const std::string& order_id);
  std::int64_t notifications(const std::string& order_id, const std::string& kind);
  // Polls `count` until it returns `expected` (deadline), then returns its last value.
  std::int64_t wait_for_count(const std::function<std::int64_t()>& count, std::int64_t expected,
                              std::chrono::milliseconds timeout = std::chrono::seconds(30));

  scenario::MerchantAccount merchant_;
};

// A setting for one agent of this binary's fleet; call before the suite starts (e.g. from a
// static initialiser in the test file).
void set_agent_setting(const std::string& agent, const std::string& key, const std::string& value);

// A new merchant with a working API key.
scenario::MerchantAccount new_merchant(const std::string& name);

}  // namespace commerce::integration
