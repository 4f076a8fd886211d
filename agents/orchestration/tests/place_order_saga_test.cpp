#include "domain/place_order_saga.hpp"

#include <gtest/gtest.h>

#include <map>
#include <tuple>

namespace orchestration {
namespace {

using namespace std::chrono_literals;
using S = SagaState;
using K = SagaEventKind;

const TimePoint kT0 = TimePoint(std::chrono::hours(24 * 365 * 56));
const SagaPolicy kPolicy{10s, 60s};
const std::string kOrder = "0190d9b2-6a4e-7cc1-9f00-000000000001";

nlohmann::json order_placed() {
  return nlohmann::json::parse(R"({
    "order_id": "0190d9b2-6a4e-7cc1-9f00-000000000001",
    "customer_email": "ann@example.com",
    "lines": [{"sku": "MUG", "quantity": 2, "unit_price": {"amount_minor": 1250, "currency": "EUR"},
               "line_total": {"amount_minor": 2500, "currency": "EUR"}}],
    "total": {"amount_minor": 2500, "currency": "EUR"},
    "card_token": "tok_visa"})");
}

Saga saga_in(SagaState state) {
  auto saga = start_place_order("saga-1", "m-1", order_placed(), kT0, kPolicy).saga;
  saga.state = state;
  return saga;
}

std::vector<std::string> types(const SagaDecision& d) {
  std::vector<std::string> out;
  for (const auto& c : d.commands) out.push_back(c.type);
  return out;
}

struct Expect {
  SagaState to;
  std::vector<std::string> commands;
  bool ignored = false;
};

Expect ignored(SagaState s) { return {s, {}, true}; }

// The whole table: every state against every event.
std::map<std::pair<SagaState, SagaEventKind>, Expect> table() {
  std::map<std::pair<SagaState, SagaEventKind>, Expect> t;
  for (auto s : kAllStates) {
    for (auto e : kAllEvents) t[{s, e}] = ignored(s);
  }
  t[{S::reserving, K::stock_reserved}] = {S::authorizing, {"payment.AuthorizePayment"}};
  t[{S::reserving, K::stock_reservation_failed}] = {S::cancelling, {"order.CancelOrder"}};
  t[{S::reserving, K::order_cancelled}] = {S::releasing, {"inventory.ReleaseStock"}};
  t[{S::authorizing, K::payment_authorized}] = {S::confirming, {"order.ConfirmOrder"}};
  t[{S::authorizing, K::payment_declined}] = {S::releasing, {"inventory.ReleaseStock"}};
  t[{S::authorizing, K::order_cancelled}] = {S::voiding, {"payment.VoidPayment"}};
  t[{S::confirming, K::order_confirmed}] = {S::completed, {}};
  t[{S::confirming, K::order_cancelled}] = {S::voiding, {"payment.VoidPayment"}};
  t[{S::voiding, K::payment_voided}] = {S::releasing, {"inventory.ReleaseStock"}};
  t[{S::voiding, K::order_cancelled}] = {S::voiding, {}, false};  // noted: no CancelOrder later
  t[{S::releasing, K::stock_released}] = {S::cancelling, {"order.CancelOrder"}};
  t[{S::releasing, K::order_cancelled}] = {S::releasing, {}, false};
  t[{S::cancelling, K::order_cancelled}] = {S::compensated, {}};
  return t;
}

TEST(PlaceOrderSaga, EveryStateAgainstEveryEvent) {
  for (const auto& [key, expect] : table()) {
    const auto& [state, kind] = key;
    const auto saga = saga_in(state);
    const auto now = kT0 + 3s;
    const auto d = decide(saga, SagaEvent{kind, "card_declined"}, now, kPolicy);
    const auto label = to_string(state) + " x " + to_string(kind);
    EXPECT_EQ(d.from, state) << label;
    EXPECT_EQ(d.to, expect.to) << label;
    EXPECT_EQ(d.ignored, expect.ignored) << label;
    EXPECT_EQ(types(d), expect.commands) << label;
    EXPECT_FALSE(d.note.empty()) << label;
    if (d.ignored) {
      EXPECT_EQ(d.data, saga.data) << label << ": an ignored reply changes nothing";
      EXPECT_EQ(d.deadline, saga.deadline) << label;
    } else if (d.to != state) {
      EXPECT_EQ(d.deadline, now + kPolicy.step_timeout) << label << ": a new step, a new deadline";
      EXPECT_EQ(d.data.attempts, 1) << label;
    }
    for (const auto& c : d.commands) EXPECT_EQ(c.payload.at("order_id"), kOrder) << label;
  }
}

TEST(PlaceOrderSaga, DuplicateRepliesAreIgnoredAfterTheyMovedTheSaga) {
  auto saga = saga_in(S::reserving);
  auto first = decide(saga, {K::stock_reserved, ""}, kT0, kPolicy);
  saga.state = first.to;
  saga.data = first.data;
  auto again = decide(saga, {K::stock_reserved, ""}, kT0, kPolicy);
  EXPECT_TRUE(again.ignored);
  EXPECT_TRUE(again.commands.empty());
}

TEST(PlaceOrderSaga, StartSendsReserveStockWithTheOrdersLines) {
  auto start = start_place_order("saga-1", "m-1", order_placed(), kT0, kPolicy);
  EXPECT_EQ(start.saga.state, S::reserving);
  EXPECT_EQ(start.saga.order_id, kOrder);
  EXPECT_EQ(start.saga.deadline, kT0 + 10s);
  EXPECT_EQ(start.saga.data.lines, (std::vector<SagaLine>{{"MUG", 2}}));
  EXPECT_EQ(start.saga.data.amount, (Money{2500, "EUR"}));
  EXPECT_EQ(start.command.type, "inventory.ReserveStock");
  EXPECT_EQ(start.command.payload,
            nlohmann::json::parse(R"({"order_id":"0190d9b2-6a4e-7cc1-9f00-000000000001",
                                      "lines":[{"sku":"MUG","quantity":2}]})"));
  EXPECT_THROW(start_place_order("s", "m", {{"order_id", kOrder}}, kT0, kPolicy),
               std::invalid_argument);
}

TEST(PlaceOrderSaga, CommandPayloadsCarryAmountTokenAndReason) {
  auto saga = saga_in(S::reserving);
  auto d = decide(saga, {K::stock_reserved, ""}, kT0, kPolicy);
  EXPECT_EQ(d.commands.at(0).payload,
            nlohmann::json::parse(R"({"order_id":"0190d9b2-6a4e-7cc1-9f00-000000000001",
              "amount":{"amount_minor":2500,"currency":"EUR"},"card_token":"tok_visa"})"));

  auto declined =
      decide(saga_in(S::authorizing), {K::payment_declined, "insufficient_funds"}, kT0, kPolicy);
  EXPECT_EQ(declined.data.reason, "payment_declined:insufficient_funds");
  EXPECT_EQ(declined.commands.at(0).payload.at("reason"), "payment_declined:insufficient_funds");
  EXPECT_EQ(declined.compensation, "payment_declined");

  auto failed =
      decide(saga_in(S::reserving), {K::stock_reservation_failed, "out_of_stock"}, kT0, kPolicy);
  EXPECT_EQ(failed.commands.at(0).payload.at("reason"), "out_of_stock");
  EXPECT_EQ(failed.compensation, "out_of_stock");
}

TEST(PlaceOrderSaga, CompensationStartsOnlyOnFailures) {
  for (const auto& [key, expect] : table()) {
    auto d = decide(saga_in(key.first), {key.second, "r"}, kT0, kPolicy);
    const bool starts =
        !is_terminal(key.first) && !d.ignored &&
        (key.second == K::stock_reservation_failed || key.second == K::payment_declined ||
         (key.second == K::order_cancelled &&
          (key.first == S::reserving || key.first == S::authorizing ||
           key.first == S::confirming)));
    EXPECT_EQ(d.compensation.has_value(), starts)
        << to_string(key.first) << " x " << to_string(key.second);
  }
}

TEST(PlaceOrderSaga, HappyPathCompletes) {
  auto saga = saga_in(S::reserving);
  std::vector<std::string> sent;
  for (auto kind : {K::stock_reserved, K::payment_authorized, K::order_confirmed}) {
    auto d = decide(saga, {kind, ""}, kT0, kPolicy);
    for (auto& t : types(d)) sent.push_back(t);
    if (kind == K::order_confirmed) {
      EXPECT_TRUE(d.finished());
    }
    saga.state = d.to;
    saga.data = d.data;
  }
  EXPECT_EQ(saga.state, S::completed);
  EXPECT_EQ(sent, (std::vector<std::string>{"payment.AuthorizePayment", "order.ConfirmOrder"}));
}

TEST(PlaceOrderSaga, ConfirmOrderCarriesWhatInventoryAndPaymentAnswered) {
  auto saga = saga_in(S::reserving);
  auto reserved = *saga_event_from("inventory.StockReserved",
                                   {{"order_id", kOrder}, {"lines", nlohmann::json::array()}},
                                   "2026-11-30T08:00:00.100Z");
  auto d = decide(saga, reserved, kT0, kPolicy);
  ASSERT_EQ(d.data.history.size(), 1u);
  EXPECT_FALSE(d.commands.at(0).payload.contains("history")) << "AuthorizePayment needs none";
  saga.state = d.to;
  saga.data = d.data;

  // A duplicate answer is ignored and leaves no trace in the history.
  auto again = decide(saga, reserved, kT0, kPolicy);
  EXPECT_TRUE(again.ignored);
  EXPECT_EQ(again.data.history.size(), 1u);

  auto authorized = *saga_event_from("payment.PaymentAuthorized",
                                     {{"order_id", kOrder}, {"authorization_id", "a-1"}},
                                     "2026-11-30T08:00:00.200Z");
  d = decide(saga, authorized, kT0, kPolicy);
  ASSERT_EQ(d.commands.at(0).type, "order.ConfirmOrder");
  EXPECT_EQ(d.commands.at(0).payload, nlohmann::json::parse(R"({
    "order_id": "0190d9b2-6a4e-7cc1-9f00-000000000001",
    "history": [
      {"event": "stock_reserved", "at": "2026-11-30T08:00:00.100Z", "detail": {"lines": []}},
      {"event": "payment_authorized", "at": "2026-11-30T08:00:00.200Z",
       "detail": {"authorization_id": "a-1"}}]})"));
  saga.state = d.to;
  saga.data = d.data;
  // The order's own confirmation is not part of the history it is sent.
  d = decide(saga, {K::order_confirmed, ""}, kT0, kPolicy);
  EXPECT_EQ(d.data.history.size(), 2u);
}

TEST(PlaceOrderSaga, CancelOrderCarriesTheCompensationStory) {
  auto saga = saga_in(S::authorizing);
  for (auto kind : {K::payment_declined, K::stock_released}) {
    auto d = decide(saga, {kind, "card_declined"}, kT0, kPolicy);
    saga.state = d.to;
    saga.data = d.data;
    if (kind == K::stock_released) {
      const auto& history = d.commands.at(0).payload.at("history");
      ASSERT_EQ(history.size(), 2u);
      EXPECT_EQ(history[0].at("event"), "payment_declined");
      EXPECT_EQ(history[1].at("event"), "stock_released");
    }
  }
  EXPECT_EQ(saga.state, S::cancelling);
}

TEST(PlaceOrderSaga, DeclinedPaymentReleasesThenCancels) {
  auto saga = saga_in(S::authorizing);
  std::vector<std::string> sent;
  for (auto [kind, reason] : std::vector<std::pair<K, std::string>>{
           {K::payment_declined, "card_declined"},
           {K::stock_released, ""},
           {K::order_cancelled, "payment_declined:card_declined"}}) {
    auto d = decide(saga, {kind, reason}, kT0, kPolicy);
    for (auto& t : types(d)) sent.push_back(t);
    saga.state = d.to;
    saga.data = d.data;
  }
  EXPECT_EQ(saga.state, S::compensated);
  EXPECT_EQ(sent, (std::vector<std::string>{"inventory.ReleaseStock", "order.CancelOrder"}));
}

TEST(PlaceOrderSaga, OrderCancelledElsewhereSkipsOurCancel) {
  auto saga = saga_in(S::confirming);
  auto d = decide(saga, {K::order_cancelled, "merchant"}, kT0, kPolicy);
  EXPECT_EQ(d.to, S::voiding);
  EXPECT_TRUE(d.data.order_cancelled);
  EXPECT_EQ(d.compensation, "order_cancelled");
  saga.state = d.to;
  saga.data = d.data;
  d = decide(saga, {K::payment_voided, ""}, kT0, kPolicy);
  saga.state = d.to;
  saga.data = d.data;
  d = decide(saga, {K::stock_released, ""}, kT0, kPolicy);
  EXPECT_EQ(d.to, S::compensated);
  EXPECT_TRUE(d.commands.empty());
  EXPECT_TRUE(d.finished());

  // Noted while releasing, then a second notice is only a duplicate.
  auto releasing = saga_in(S::releasing);
  auto noted = decide(releasing, {K::order_cancelled, "x"}, kT0, kPolicy);
  EXPECT_FALSE(noted.ignored);
  EXPECT_TRUE(noted.data.order_cancelled);
  releasing.data = noted.data;
  EXPECT_TRUE(decide(releasing, {K::order_cancelled, "x"}, kT0, kPolicy).ignored);
}

TEST(PlaceOrderSaga, TimeoutInEveryState) {
  const auto now = kT0 + 11s;
  struct Case {
    SagaState state;
    SagaState to;
    std::string command;
  };
  for (const auto& c : std::vector<Case>{{S::reserving, S::releasing, "inventory.ReleaseStock"},
                                         {S::authorizing, S::voiding, "payment.VoidPayment"},
                                         {S::confirming, S::confirming, "order.ConfirmOrder"},
                                         {S::voiding, S::voiding, "payment.VoidPayment"},
                                         {S::releasing, S::releasing, "inventory.ReleaseStock"},
                                         {S::cancelling, S::cancelling, "order.CancelOrder"}}) {
    auto saga = saga_in(c.state);
    saga.data.reason = "earlier";
    auto d = on_timeout(saga, now, kPolicy);
    EXPECT_FALSE(d.ignored) << to_string(c.state);
    EXPECT_EQ(d.to, c.to) << to_string(c.state);
    EXPECT_EQ(types(d), std::vector<std::string>{c.command}) << to_string(c.state);
    EXPECT_GT(d.deadline, now) << to_string(c.state);
  }
  for (auto terminal : {S::completed, S::compensated}) {
    auto d = on_timeout(saga_in(terminal), now, kPolicy);
    EXPECT_TRUE(d.ignored);
    EXPECT_TRUE(d.commands.empty());
  }
}

TEST(PlaceOrderSaga, TimeoutReasonsNameTheStep) {
  auto reserving = on_timeout(saga_in(S::reserving), kT0, kPolicy);
  EXPECT_EQ(reserving.data.reason, "timeout:reserve_stock");
  EXPECT_EQ(reserving.commands.at(0).payload.at("reason"), "timeout:reserve_stock");
  EXPECT_EQ(reserving.compensation, "timeout");
  auto authorizing = on_timeout(saga_in(S::authorizing), kT0, kPolicy);
  EXPECT_EQ(authorizing.data.reason, "timeout:authorize_payment");
  EXPECT_EQ(authorizing.compensation, "timeout");
  EXPECT_FALSE(on_timeout(saga_in(S::confirming), kT0, kPolicy).compensation);
}

TEST(PlaceOrderSaga, TimeoutAfterReserveReleasesThenCancels) {
  auto saga = saga_in(S::reserving);
  std::vector<std::string> sent;
  auto step = [&](const SagaDecision& d) {
    for (auto& t : types(d)) sent.push_back(t);
    saga.state = d.to;
    saga.data = d.data;
    saga.deadline = d.deadline;
  };
  step(on_timeout(saga, kT0 + 11s, kPolicy));
  auto late = decide(saga, {K::stock_reserved, ""}, kT0 + 12s, kPolicy);
  EXPECT_TRUE(late.ignored) << "a late reservation is released, not used";
  step(decide(saga, {K::stock_released, ""}, kT0 + 12s, kPolicy));
  step(decide(saga, {K::order_cancelled, "timeout:reserve_stock"}, kT0 + 13s, kPolicy));
  EXPECT_EQ(saga.state, S::compensated);
  EXPECT_EQ(sent, (std::vector<std::string>{"inventory.ReleaseStock", "order.CancelOrder"}));
}

TEST(PlaceOrderSaga, RetriesBackOffUpToTheCap) {
  auto saga = saga_in(S::confirming);
  auto now = kT0;
  std::vector<std::chrono::seconds> delays;
  for (int i = 0; i < 6; ++i) {
    auto d = on_timeout(saga, now, kPolicy);
    delays.push_back(std::chrono::duration_cast<std::chrono::seconds>(d.deadline - now));
    EXPECT_EQ(d.data.attempts, i + 2);
    saga.data = d.data;
    saga.deadline = d.deadline;
    now = d.deadline;
  }
  EXPECT_EQ(delays, (std::vector<std::chrono::seconds>{20s, 40s, 60s, 60s, 60s, 60s}));
  // A new step starts counting again.
  auto done = decide(saga, {K::order_confirmed, ""}, now, kPolicy);
  EXPECT_EQ(done.data.attempts, 1);
}

TEST(PlaceOrderSaga, EventsFromMessages) {
  auto e = saga_event_from("payment.PaymentDeclined",
                           {{"order_id", kOrder}, {"reason", "card_declined"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, K::payment_declined);
  EXPECT_EQ(e->reason, "card_declined");
  for (auto kind : kAllEvents) {
    auto parsed = saga_event_from(to_string(kind), {{"order_id", kOrder}});
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->kind, kind);
  }
  auto reserved = saga_event_from("inventory.StockReserved", {{"order_id", kOrder}, {"x", 1}},
                                  "2026-11-30T08:00:00Z");
  EXPECT_EQ(reserved->at, "2026-11-30T08:00:00Z");
  EXPECT_EQ(reserved->detail, nlohmann::json({{"x", 1}})) << "the order id is implied";
  EXPECT_EQ(timeline_event(K::stock_reserved), "stock_reserved");
  EXPECT_EQ(timeline_event(K::payment_voided), "payment_voided");
  EXPECT_EQ(timeline_event(K::order_confirmed), "");
  EXPECT_FALSE(saga_event_from("inventory.StockLevelChanged", {}));
  EXPECT_FALSE(saga_event_from("order.OrderPlaced", {}));
}

TEST(PlaceOrderSaga, StatesAndDataRoundTrip) {
  for (auto s : kAllStates) EXPECT_EQ(parse_state(to_string(s)), s);
  EXPECT_FALSE(parse_state("nope"));
  EXPECT_TRUE(is_terminal(S::completed));
  EXPECT_TRUE(is_terminal(S::compensated));
  EXPECT_EQ(step_of(S::completed), "");
  EXPECT_EQ(step_of(S::authorizing), "authorize_payment");
  auto data = saga_in(S::reserving).data;
  data.reason = "timeout:reserve_stock";
  data.order_cancelled = true;
  data.attempts = 3;
  data.history.push_back({{"event", "stock_reserved"}, {"at", "2026-11-30T08:00:00Z"}});
  EXPECT_EQ(saga_data_from_json(to_json(data)), data);
}

TEST(PlaceOrderSaga, ReasonClassesAreBounded) {
  EXPECT_EQ(reason_class("out_of_stock"), "out_of_stock");
  EXPECT_EQ(reason_class("payment_declined:card_declined"), "payment_declined");
  EXPECT_EQ(reason_class("timeout:authorize_payment"), "timeout");
  EXPECT_EQ(reason_class("order_cancelled:merchant"), "order_cancelled");
  EXPECT_EQ(reason_class("operator_compensated"), "operator_compensated");
  EXPECT_EQ(reason_class("anything else"), "other");
}

TEST(PlaceOrderSaga, OperatorRetryResendsTheStepOfEveryRunningState) {
  const auto now = kT0 + 100s;
  for (auto state : kAllStates) {
    auto saga = saga_in(state);
    saga.data.reason = "earlier";
    saga.data.attempts = 3;
    const auto outcome = on_operator(saga, OperatorAction::retry, now, kPolicy);
    if (is_terminal(state)) {
      EXPECT_FALSE(outcome.decision) << to_string(state);
      EXPECT_EQ(outcome.refusal_code, "saga_finished") << to_string(state);
      continue;
    }
    ASSERT_TRUE(outcome.decision) << to_string(state);
    const auto& d = *outcome.decision;
    EXPECT_FALSE(d.ignored);
    EXPECT_EQ(d.from, state);
    EXPECT_EQ(d.to, state) << "a retry never moves the saga";
    EXPECT_EQ(d.deadline, now + kPolicy.step_timeout);
    EXPECT_EQ(d.data.attempts, 4);
    EXPECT_EQ(d.data.reason, "earlier");
    ASSERT_EQ(d.commands.size(), 1u);
    EXPECT_EQ(d.commands[0].type, command_for(state, saga)->type);
    EXPECT_EQ(d.commands[0].payload, command_for(state, saga)->payload);
    EXPECT_FALSE(d.compensation);
    EXPECT_EQ(d.note.rfind("operator retry", 0), 0u) << d.note;
  }
}

TEST(PlaceOrderSaga, OperatorCompensateOnlyBeforeConfirmation) {
  const auto now = kT0 + 100s;
  struct Case {
    SagaState state;
    std::optional<SagaState> to;  // nullopt: refused
    std::string command_or_refusal;
  };
  for (const auto& c : std::vector<Case>{{S::reserving, S::releasing, "inventory.ReleaseStock"},
                                         {S::authorizing, S::voiding, "payment.VoidPayment"},
                                         {S::confirming, std::nullopt, "confirm_pending"},
                                         {S::voiding, std::nullopt, "already_compensating"},
                                         {S::releasing, std::nullopt, "already_compensating"},
                                         {S::cancelling, std::nullopt, "already_compensating"},
                                         {S::completed, std::nullopt, "saga_finished"},
                                         {S::compensated, std::nullopt, "saga_finished"}}) {
    const auto outcome = on_operator(saga_in(c.state), OperatorAction::compensate, now, kPolicy);
    if (!c.to) {
      EXPECT_FALSE(outcome.decision) << to_string(c.state);
      EXPECT_EQ(outcome.refusal_code, c.command_or_refusal) << to_string(c.state);
      EXPECT_FALSE(outcome.refusal_message.empty());
      continue;
    }
    ASSERT_TRUE(outcome.decision) << to_string(c.state);
    const auto& d = *outcome.decision;
    EXPECT_EQ(d.to, *c.to);
    EXPECT_EQ(types(d), std::vector<std::string>{c.command_or_refusal});
    EXPECT_EQ(d.commands[0].payload.at("reason"), "operator_compensated");
    EXPECT_EQ(d.data.reason, "operator_compensated");
    EXPECT_EQ(d.compensation, "operator_compensated");
    EXPECT_EQ(d.data.attempts, 1);
    EXPECT_EQ(d.deadline, now + kPolicy.step_timeout);
    EXPECT_EQ(d.note.rfind("operator compensate", 0), 0u) << d.note;
  }
}

TEST(PlaceOrderSaga, OperatorCompensateEndsWithTheOrderCancelledOnce) {
  auto saga = saga_in(S::authorizing);
  std::vector<std::string> sent;
  auto step = [&](const SagaDecision& d) {
    for (auto& t : types(d)) sent.push_back(t);
    saga.state = d.to;
    saga.data = d.data;
    saga.deadline = d.deadline;
  };
  step(*on_operator(saga, OperatorAction::compensate, kT0, kPolicy).decision);
  EXPECT_TRUE(decide(saga, {K::payment_authorized, ""}, kT0, kPolicy).ignored)
      << "a late authorization is voided, not used";
  step(decide(saga, {K::payment_voided, ""}, kT0, kPolicy));
  step(decide(saga, {K::stock_released, ""}, kT0, kPolicy));
  EXPECT_EQ(saga.state, S::cancelling);
  EXPECT_FALSE(on_operator(saga, OperatorAction::compensate, kT0, kPolicy).decision);
  step(decide(saga, {K::order_cancelled, "operator_compensated"}, kT0, kPolicy));
  EXPECT_EQ(saga.state, S::compensated);
  EXPECT_EQ(sent, (std::vector<std::string>{"payment.VoidPayment", "inventory.ReleaseStock",
                                            "order.CancelOrder"}));
}

}  // namespace
}  // namespace orchestration
