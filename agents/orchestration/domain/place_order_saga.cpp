#include "domain/place_order_saga.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

namespace orchestration {

std::string to_string(SagaState state) {
  switch (state) {
    case SagaState::reserving:
      return "reserving";
    case SagaState::authorizing:
      return "authorizing";
    case SagaState::confirming:
      return "confirming";
    case SagaState::completed:
      return "completed";
    case SagaState::voiding:
      return "voiding";
    case SagaState::releasing:
      return "releasing";
    case SagaState::cancelling:
      return "cancelling";
    case SagaState::compensated:
      return "compensated";
  }
  return "unknown";
}

std::optional<SagaState> parse_state(const std::string& text) {
  for (auto state : kAllStates) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

bool is_terminal(SagaState state) {
  return state == SagaState::completed || state == SagaState::compensated;
}

std::string step_of(SagaState state) {
  switch (state) {
    case SagaState::reserving:
      return "reserve_stock";
    case SagaState::authorizing:
      return "authorize_payment";
    case SagaState::confirming:
      return "confirm_order";
    case SagaState::voiding:
      return "void_payment";
    case SagaState::releasing:
      return "release_stock";
    case SagaState::cancelling:
      return "cancel_order";
    case SagaState::completed:
    case SagaState::compensated:
      return "";
  }
  return "";
}

namespace {

nlohmann::json money_json(const Money& m) {
  return {{"amount_minor", m.amount_minor}, {"currency", m.currency}};
}

Money money_from(const nlohmann::json& j) {
  return Money{j.at("amount_minor").get<std::int64_t>(), j.at("currency").get<std::string>()};
}

}  // namespace

nlohmann::json to_json(const SagaData& data) {
  auto lines = nlohmann::json::array();
  for (const auto& l : data.lines) lines.push_back({{"sku", l.sku}, {"quantity", l.quantity}});
  return {{"lines", lines},
          {"amount", money_json(data.amount)},
          {"card_token", data.card_token},
          {"customer_email", data.customer_email},
          {"reason", data.reason},
          {"order_cancelled", data.order_cancelled},
          {"attempts", data.attempts},
          {"history", data.history}};
}

SagaData saga_data_from_json(const nlohmann::json& j) {
  SagaData data;
  for (const auto& l : j.at("lines")) {
    data.lines.push_back({l.at("sku").get<std::string>(), l.at("quantity").get<std::int64_t>()});
  }
  data.amount = money_from(j.at("amount"));
  data.card_token = j.at("card_token").get<std::string>();
  data.customer_email = j.value("customer_email", "");
  data.reason = j.value("reason", "");
  data.order_cancelled = j.value("order_cancelled", false);
  data.attempts = j.value("attempts", 1);
  if (auto history = j.find("history"); history != j.end() && history->is_array()) {
    data.history = *history;
  }
  return data;
}

std::string to_string(SagaEventKind kind) {
  switch (kind) {
    case SagaEventKind::stock_reserved:
      return "inventory.StockReserved";
    case SagaEventKind::stock_reservation_failed:
      return "inventory.StockReservationFailed";
    case SagaEventKind::stock_released:
      return "inventory.StockReleased";
    case SagaEventKind::payment_authorized:
      return "payment.PaymentAuthorized";
    case SagaEventKind::payment_declined:
      return "payment.PaymentDeclined";
    case SagaEventKind::payment_voided:
      return "payment.PaymentVoided";
    case SagaEventKind::order_confirmed:
      return "order.OrderConfirmed";
    case SagaEventKind::order_cancelled:
      return "order.OrderCancelled";
  }
  return "unknown";
}

std::string timeline_event(SagaEventKind kind) {
  switch (kind) {
    case SagaEventKind::stock_reserved:
      return "stock_reserved";
    case SagaEventKind::stock_reservation_failed:
      return "stock_reservation_failed";
    case SagaEventKind::stock_released:
      return "stock_released";
    case SagaEventKind::payment_authorized:
      return "payment_authorized";
    case SagaEventKind::payment_declined:
      return "payment_declined";
    case SagaEventKind::payment_voided:
      return "payment_voided";
    case SagaEventKind::order_confirmed:
    case SagaEventKind::order_cancelled:
      return "";
  }
  return "";
}

std::optional<SagaEvent> saga_event_from(const std::string& type, const nlohmann::json& payload,
                                         std::string occurred_at) {
  for (auto kind : kAllEvents) {
    if (to_string(kind) != type) continue;
    SagaEvent event{kind, "", std::move(occurred_at)};
    if (payload.is_object()) {
      auto reason = payload.find("reason");
      if (reason != payload.end() && reason->is_string()) event.reason = reason->get<std::string>();
      for (auto it = payload.begin(); it != payload.end(); ++it) {
        if (it.key() != "order_id") event.detail[it.key()] = it.value();
      }
    }
    return event;
  }
  return std::nullopt;
}

std::string reason_class(const std::string& reason) {
  const auto head = reason.substr(0, reason.find(':'));
  for (const char* known :
       {"out_of_stock", "payment_declined", "timeout", "order_cancelled", kOperatorCompensated}) {
    if (head == known) return known;
  }
  return "other";
}

std::optional<SagaCommand> command_for(SagaState state, const Saga& saga) {
  const auto& d = saga.data;
  switch (state) {
    case SagaState::reserving: {
      auto lines = nlohmann::json::array();
      for (const auto& l : d.lines) lines.push_back({{"sku", l.sku}, {"quantity", l.quantity}});
      return SagaCommand{"inventory.ReserveStock", {{"order_id", saga.order_id}, {"lines", lines}}};
    }
    case SagaState::authorizing:
      return SagaCommand{"payment.AuthorizePayment",
                         {{"order_id", saga.order_id},
                          {"amount", money_json(d.amount)},
                          {"card_token", d.card_token}}};
    case SagaState::confirming: {
      nlohmann::json payload = {{"order_id", saga.order_id}};
      if (!d.history.empty()) payload["history"] = d.history;
      return SagaCommand{"order.ConfirmOrder", std::move(payload)};
    }
    case SagaState::voiding:
      return SagaCommand{"payment.VoidPayment",
                         {{"order_id", saga.order_id}, {"reason", d.reason}}};
    case SagaState::releasing:
      return SagaCommand{"inventory.ReleaseStock",
                         {{"order_id", saga.order_id}, {"reason", d.reason}}};
    case SagaState::cancelling: {
      nlohmann::json payload = {{"order_id", saga.order_id}, {"reason", d.reason}};
      if (!d.history.empty()) payload["history"] = d.history;
      return SagaCommand{"order.CancelOrder", std::move(payload)};
    }
    case SagaState::completed:
    case SagaState::compensated:
      return std::nullopt;
  }
  return std::nullopt;
}

namespace {

// Moves to `to`, sending its command with a fresh deadline and attempt count.
SagaDecision enter(const Saga& saga, SagaData data, SagaState to, TimePoint now,
                   const SagaPolicy& policy, std::string note) {
  SagaDecision d;
  d.from = saga.state;
  d.to = to;
  data.attempts = 1;
  d.data = std::move(data);
  d.deadline = now + policy.step_timeout;
  Saga next = saga;
  next.data = d.data;
  if (auto command = command_for(to, next)) d.commands.push_back(std::move(*command));
  d.note = std::move(note);
  return d;
}

SagaDecision ignore(const Saga& saga, std::string note) {
  SagaDecision d;
  d.ignored = true;
  d.from = d.to = saga.state;
  d.data = saga.data;
  d.deadline = saga.deadline;
  d.note = std::move(note);
  return d;
}

// Same state, data changed (nothing sent, deadline kept).
SagaDecision amend(const Saga& saga, SagaData data, std::string note) {
  SagaDecision d;
  d.from = d.to = saga.state;
  d.data = std::move(data);
  d.deadline = saga.deadline;
  d.note = std::move(note);
  return d;
}

// Starts compensating with `reason` from the step that failed. `authorization_possible`: the
// payment may hold an authorization, so it is voided first; then stock is released.
SagaDecision compensate(const Saga& saga, std::string reason, bool authorization_possible,
                        bool order_cancelled, TimePoint now, const SagaPolicy& policy,
                        const std::string& why) {
  SagaData data = saga.data;
  data.reason = std::move(reason);
  data.order_cancelled = data.order_cancelled || order_cancelled;
  const SagaState to = authorization_possible ? SagaState::voiding : SagaState::releasing;
  auto d = enter(saga, std::move(data), to, now, policy, why);
  d.compensation = reason_class(d.data.reason);
  return d;
}

SagaDecision after_release(const Saga& saga, TimePoint now, const SagaPolicy& policy) {
  if (saga.data.order_cancelled) {
    return enter(saga, saga.data, SagaState::compensated, now, policy,
                 "stock released; the order was already cancelled");
  }
  return enter(saga, saga.data, SagaState::cancelling, now, policy,
               "stock released; cancelling the order");
}

}  // namespace

SagaStart start_place_order(std::string saga_id, std::string merchant_id,
                            const nlohmann::json& order_placed, TimePoint now,
                            const SagaPolicy& policy) {
  try {
    Saga saga;
    saga.id = std::move(saga_id);
    saga.order_id = order_placed.at("order_id").get<std::string>();
    saga.merchant_id = std::move(merchant_id);
    saga.state = SagaState::reserving;
    saga.deadline = now + policy.step_timeout;
    for (const auto& l : order_placed.at("lines")) {
      saga.data.lines.push_back(
          {l.at("sku").get<std::string>(), l.at("quantity").get<std::int64_t>()});
    }
    saga.data.amount = money_from(order_placed.at("total"));
    saga.data.card_token = order_placed.at("card_token").get<std::string>();
    saga.data.customer_email = order_placed.value("customer_email", "");
    if (saga.data.lines.empty()) throw std::invalid_argument("an order without lines");
    auto command = *command_for(SagaState::reserving, saga);
    return SagaStart{std::move(saga), std::move(command), "order placed; reserving stock"};
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("cannot start a PlaceOrder saga: ") + e.what());
  }
}

namespace {

SagaDecision decide_step(const Saga& saga, const SagaEvent& event, TimePoint now,
                         const SagaPolicy& policy) {
  const auto late = [&] {
    return ignore(saga, "ignored " + to_string(event.kind) + " in state " + to_string(saga.state));
  };
  if (is_terminal(saga.state)) return late();

  using K = SagaEventKind;
  // The order was cancelled by someone else: undo what may have been done, skip our own cancel.
  if (event.kind == K::order_cancelled && saga.state != SagaState::cancelling) {
    const std::string reason = "order_cancelled:" + event.reason;
    switch (saga.state) {
      case SagaState::reserving:
        return compensate(saga, reason, false, true, now, policy,
                          "order cancelled elsewhere; releasing stock");
      case SagaState::authorizing:
      case SagaState::confirming:
        return compensate(saga, reason, true, true, now, policy,
                          "order cancelled elsewhere; voiding payment");
      default: {
        if (saga.data.order_cancelled) return late();
        SagaData data = saga.data;
        data.order_cancelled = true;
        return amend(saga, std::move(data), "order cancelled elsewhere; no CancelOrder needed");
      }
    }
  }

  switch (saga.state) {
    case SagaState::reserving:
      if (event.kind == K::stock_reserved) {
        return enter(saga, saga.data, SagaState::authorizing, now, policy,
                     "stock reserved; authorizing payment");
      }
      if (event.kind == K::stock_reservation_failed) {
        // Nothing was reserved and no payment attempted: only the order is cancelled.
        SagaData data = saga.data;
        data.reason = event.reason.empty() ? "out_of_stock" : event.reason;
        auto d = enter(saga, std::move(data), SagaState::cancelling, now, policy,
                       "stock reservation failed; cancelling the order");
        d.compensation = reason_class(d.data.reason);
        return d;
      }
      return late();
    case SagaState::authorizing:
      if (event.kind == K::payment_authorized) {
        return enter(saga, saga.data, SagaState::confirming, now, policy,
                     "payment authorized; confirming the order");
      }
      if (event.kind == K::payment_declined) {
        // A declined payment holds no authorization: release the stock, then cancel.
        return compensate(saga, "payment_declined:" + event.reason, false, false, now, policy,
                          "payment declined; releasing stock");
      }
      return late();
    case SagaState::confirming:
      if (event.kind == K::order_confirmed) {
        return enter(saga, saga.data, SagaState::completed, now, policy, "order confirmed");
      }
      return late();
    case SagaState::voiding:
      if (event.kind == K::payment_voided) {
        return enter(saga, saga.data, SagaState::releasing, now, policy,
                     "payment voided; releasing stock");
      }
      return late();
    case SagaState::releasing:
      if (event.kind == K::stock_released) return after_release(saga, now, policy);
      return late();
    case SagaState::cancelling:
      if (event.kind == K::order_cancelled) {
        return enter(saga, saga.data, SagaState::compensated, now, policy, "order cancelled");
      }
      return late();
    case SagaState::completed:
    case SagaState::compensated:
      return late();
  }
  return late();
}

}  // namespace

SagaDecision decide(const Saga& saga, const SagaEvent& event, TimePoint now,
                    const SagaPolicy& policy) {
  // An answer from inventory or payment joins the history before the decision, so a command it
  // leads to (ConfirmOrder, CancelOrder) carries it; an ignored answer leaves no trace.
  const auto name = timeline_event(event.kind);
  if (name.empty() || is_terminal(saga.state)) return decide_step(saga, event, now, policy);
  Saga seen = saga;
  seen.data.history.push_back({{"event", name}, {"at", event.at}, {"detail", event.detail}});
  auto decision = decide_step(seen, event, now, policy);
  if (decision.ignored) decision.data = saga.data;
  return decision;
}

SagaDecision on_timeout(const Saga& saga, TimePoint now, const SagaPolicy& policy) {
  switch (saga.state) {
    case SagaState::reserving:
      // The reservation may still happen: release leaves a tombstone so a late one does nothing.
      return compensate(saga, "timeout:" + step_of(saga.state), false, false, now, policy,
                        "reserve_stock timed out; releasing stock");
    case SagaState::authorizing:
      return compensate(saga, "timeout:" + step_of(saga.state), true, false, now, policy,
                        "authorize_payment timed out; voiding payment");
    case SagaState::confirming:
    case SagaState::voiding:
    case SagaState::releasing:
    case SagaState::cancelling: {
      // Every one of these commands is idempotent: send it again, backing off.
      SagaDecision d;
      d.from = d.to = saga.state;
      d.data = saga.data;
      d.data.attempts = saga.data.attempts + 1;
      const int doublings = std::min(d.data.attempts - 1, 20);
      auto delay = policy.step_timeout * (std::int64_t{1} << doublings);
      d.deadline = now + std::max(policy.step_timeout, std::min<std::chrono::milliseconds>(
                                                           delay, policy.max_retry_delay));
      d.commands.push_back(*command_for(saga.state, saga));
      d.note = step_of(saga.state) + " timed out; sending it again (attempt " +
               std::to_string(d.data.attempts) + ")";
      return d;
    }
    case SagaState::completed:
    case SagaState::compensated:
      return ignore(saga, "timeout after the saga ended");
  }
  return ignore(saga, "unknown state");
}

namespace {

OperatorOutcome refuse(std::string code, std::string message) {
  return OperatorOutcome{std::nullopt, std::move(code), std::move(message)};
}

}  // namespace

OperatorOutcome on_operator(const Saga& saga, OperatorAction action, TimePoint now,
                            const SagaPolicy& policy) {
  if (is_terminal(saga.state)) {
    return refuse("saga_finished", "the saga ended (" + to_string(saga.state) + ")");
  }
  if (action == OperatorAction::retry) {
    SagaDecision d;
    d.from = d.to = saga.state;
    d.data = saga.data;
    d.data.attempts = saga.data.attempts + 1;
    d.deadline = now + policy.step_timeout;
    d.commands.push_back(*command_for(saga.state, saga));
    d.note = "operator retry: sending " + step_of(saga.state) + " again (attempt " +
             std::to_string(d.data.attempts) + ")";
    return {std::move(d), "", ""};
  }
  switch (saga.state) {
    case SagaState::reserving:
      // A reservation may still land: the release leaves a tombstone, as on a timeout.
      return {compensate(saga, kOperatorCompensated, false, false, now, policy,
                         "operator compensate: releasing stock"),
              "", ""};
    case SagaState::authorizing:
      return {compensate(saga, kOperatorCompensated, true, false, now, policy,
                         "operator compensate: voiding payment"),
              "", ""};
    case SagaState::confirming:
      return refuse("confirm_pending",
                    "ConfirmOrder was sent and may still apply; a confirmed order cannot be "
                    "cancelled. Retry the step instead");
    case SagaState::voiding:
    case SagaState::releasing:
    case SagaState::cancelling:
      return refuse("already_compensating", "the saga is compensating (" + to_string(saga.state) +
                                                "); retry its step to send it again");
    case SagaState::completed:
    case SagaState::compensated:
      break;
  }
  return refuse("saga_finished", "the saga ended");
}

}  // namespace orchestration
