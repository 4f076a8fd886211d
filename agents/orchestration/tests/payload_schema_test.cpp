// Every command the orchestration agent emits, in every state that emits it, checked against
// its schema file; and the operator view of a saga.
#include <gtest/gtest.h>

#include <set>

#include "app/operator_routes.hpp"
#include "app/saga_handlers.hpp"
#include "commerce/bus/schema.hpp"
#include "domain/place_order_saga.hpp"

namespace orchestration {
namespace {

using namespace std::chrono_literals;

const commerce::bus::SchemaRegistry& schemas() {
  static auto registry = commerce::bus::SchemaRegistry::load(COMMERCE_SOURCE_DIR "/schemas");
  return registry;
}

nlohmann::json order_placed() {
  return nlohmann::json::parse(R"({
    "order_id": "0190d9b2-6a4e-7cc1-9f00-000000000001",
    "customer_email": "ann@example.com",
    "lines": [{"sku": "MUG", "quantity": 2, "unit_price": {"amount_minor": 1250, "currency": "EUR"},
               "line_total": {"amount_minor": 2500, "currency": "EUR"}},
              {"sku": "TEE", "quantity": 1, "unit_price": {"amount_minor": 1999, "currency": "EUR"},
               "line_total": {"amount_minor": 1999, "currency": "EUR"}}],
    "total": {"amount_minor": 4499, "currency": "EUR"},
    "card_token": "tok_visa"})");
}

TEST(PayloadSchema, OrderPlacedWeConsumeIsValid) {
  EXPECT_EQ(schemas().validate("order.OrderPlaced", 1, order_placed()), std::nullopt);
}

TEST(PayloadSchema, EveryCommandWeEmit) {
  const auto now = Clock::now();
  const SagaPolicy policy;
  auto start = start_place_order("s", "m", order_placed(), now, policy);
  std::vector<SagaCommand> commands{start.command};
  for (auto reason : {"out_of_stock", "payment_declined:card_declined", "timeout:reserve_stock",
                      "order_cancelled:merchant"}) {
    auto saga = start.saga;
    saga.data.reason = reason;
    for (auto state : kAllStates) {
      if (auto c = command_for(state, saga)) commands.push_back(*c);
    }
  }
  std::set<std::string> seen;
  for (const auto& c : commands) {
    seen.insert(c.type);
    EXPECT_TRUE(schemas().knows(c.type, 1)) << c.type << " has no schema";
    EXPECT_EQ(schemas().validate(c.type, 1, c.payload), std::nullopt)
        << c.type << " " << c.payload.dump();
  }
  EXPECT_EQ(seen, (std::set<std::string>{"inventory.ReserveStock", "payment.AuthorizePayment",
                                         "order.ConfirmOrder", "payment.VoidPayment",
                                         "inventory.ReleaseStock", "order.CancelOrder"}));
}

TEST(PayloadSchema, RepliesWeFollowHaveSchemas) {
  for (auto kind : kAllEvents) {
    EXPECT_TRUE(schemas().knows(to_string(kind), 1)) << to_string(kind);
  }
}

TEST(CommandTopics, FollowTheReceivingAgent) {
  EXPECT_EQ(command_topic("inventory.ReserveStock"), "commerce.inventory.commands");
  EXPECT_EQ(command_topic("payment.VoidPayment"), "commerce.payment.commands");
  EXPECT_EQ(command_topic("order.ConfirmOrder"), "commerce.order.commands");
}

TEST(OperatorView, HidesTheCardToken) {
  SagaRow row;
  const SagaPolicy policy;
  // Started two step timeouts ago: past its deadline, so stuck.
  row.saga =
      start_place_order("s", "m", order_placed(), Clock::now() - 2 * policy.step_timeout, policy)
          .saga;
  row.type = kPlaceOrderSaga;
  auto view = saga_json(row);
  EXPECT_FALSE(view["data"].contains("card_token"));
  EXPECT_EQ(view["state"], "reserving");
  EXPECT_EQ(view["step"], "reserve_stock");
  EXPECT_EQ(view["stuck"], true);
}

}  // namespace
}  // namespace orchestration
