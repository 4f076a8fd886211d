#include "app/command_handlers.hpp"

#include "commerce/bus/topics.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"
#include "domain/messages.hpp"

namespace payment {

void CommandHandlers::on_batch(std::span<commerce::store::MessageContext> batch) {
  // Runs of AuthorizePayment share one locking read and one write; a VoidPayment between them
  // is handled alone, after what came before it was written.
  commerce::store::for_each_run(
      batch, messages::kAuthorizePayment, [&](auto run) { authorize_all(run); },
      [&](commerce::store::MessageContext& ctx) { void_payment(ctx); });
}

void CommandHandlers::authorize_all(std::span<commerce::store::MessageContext> run) {
  auto& tx = run.front().tx();
  const auto topic = commerce::bus::topics::events("payment");
  std::vector<messages::AuthorizePayment> commands;
  std::vector<OrderKey> orders;
  for (auto& ctx : run) {
    commands.push_back(messages::parse_authorize_payment(ctx.message().payload));
    orders.push_back({ctx.message().merchant_id, commands.back().order_id});
  }
  // Held until the transaction ends, so the provider is called at most once per order.
  auto on_file = authorizations_.lock_all(tx, orders);
  std::vector<ProviderAnswer> answers;
  for (std::size_t i = 0; i < run.size(); ++i) {
    auto& ctx = run[i];
    commerce::log::ScopedContext scoped(ctx.log_context());
    const auto& command = commands[i];
    const auto& merchant = orders[i].merchant_id;
    const auto known = on_file.find(orders[i]);
    const auto filed =
        known == on_file.end() ? std::nullopt : std::optional<AuthorizationOnFile>(known->second);
    switch (decide_authorize(filed)) {
      case AuthorizeAction::nothing:
        continue;
      case AuthorizeAction::refuse_voided:
        authorizations_.mark_late_authorize_refused(tx, merchant, command.order_id);
        on_file[orders[i]].late_authorize_refused = true;
        ctx.emit(topic, command.order_id, messages::kPaymentDeclined,
                 messages::payment_declined(command.order_id, "voided", "voided"));
        metrics_.declined("voided");
        continue;
      case AuthorizeAction::call_provider:
        break;
    }
    AuthorizationRequest request{merchant, command.order_id, command.amount, command.card_token,
                                 command.order_id};
    const auto result = provider_.authorize(request);
    ProviderAnswer answer{orders[i],      result.approved,      result.authorization_id, "",
                          command.amount, result.provider_code, provider_.name()};
    AuthorizationOnFile now_on_file;
    if (result.approved) {
      now_on_file.status = AuthorizationStatus::authorized;
      now_on_file.authorization_id = result.authorization_id;
      ctx.emit(
          topic, command.order_id, messages::kPaymentAuthorized,
          messages::payment_authorized(command.order_id, result.authorization_id, command.amount));
      metrics_.authorized(command.amount);
      commerce::log::info("payment authorized", {{"order_id", command.order_id},
                                                 {"authorization_id", result.authorization_id}});
    } else {
      // An adapter answering a reason outside our vocabulary is still a decline, of a bad card.
      const auto reason =
          is_decline_reason(result.decline_reason) ? result.decline_reason : "card_declined";
      const auto code = result.provider_code.empty() ? reason : result.provider_code;
      answer.decline_reason = reason;
      answer.provider_code = code;
      now_on_file.status = AuthorizationStatus::declined;
      ctx.emit(topic, command.order_id, messages::kPaymentDeclined,
               messages::payment_declined(command.order_id, reason, code));
      metrics_.declined(reason);
      commerce::log::info("payment declined", {{"order_id", command.order_id}, {"reason", reason}});
    }
    // A repeat of the order later in this run finds it decided.
    on_file[orders[i]] = now_on_file;
    answers.push_back(std::move(answer));
  }
  authorizations_.insert_answers(tx, answers);
}

void CommandHandlers::void_payment(commerce::store::MessageContext& ctx) {
  auto& tx = ctx.tx();
  const auto& merchant = ctx.message().merchant_id;
  const auto command = messages::parse_void_payment(ctx.message().payload);
  const auto topic = commerce::bus::topics::events("payment");

  const auto on_file = authorizations_.lock(tx, merchant, command.order_id);
  std::optional<std::string> authorization_id;
  switch (decide_void(on_file)) {
    case VoidAction::nothing:
      return;
    case VoidAction::write_tombstone:
      authorizations_.insert_tombstone(tx, merchant, command.order_id, provider_.name());
      break;
    case VoidAction::acknowledge_declined:
      authorizations_.mark_voided(tx, merchant, command.order_id, false);
      break;
    case VoidAction::void_authorization: {
      authorization_id = on_file->authorization_id;
      const auto amount = authorizations_.amount(tx, merchant, command.order_id);
      VoidRequest request{merchant, command.order_id, *authorization_id,
                          amount.value_or(commerce::core::Money{}), "void:" + command.order_id};
      const auto result = provider_.void_authorization(request);
      if (!result.voided) {
        // The provider does not know the authorization: it cannot succeed by retrying.
        throw std::runtime_error("provider refused to void " + *authorization_id + ": " +
                                 result.provider_code);
      }
      authorizations_.mark_voided(tx, merchant, command.order_id, true);
      break;
    }
  }
  ctx.emit(topic, command.order_id, messages::kPaymentVoided,
           messages::payment_voided(command.order_id, authorization_id));
  commerce::log::info("payment voided", {{"order_id", command.order_id}});
}

}  // namespace payment
