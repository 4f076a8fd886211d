#include "app/command_handlers.hpp"

#include "commerce/bus/topics.hpp"
#include "commerce/log/log.hpp"
#include "commerce/store/store.hpp"
#include "domain/messages.hpp"

namespace payment {

void CommandHandlers::authorize(commerce::store::MessageContext& ctx) {
  auto& tx = ctx.tx();
  const auto& merchant = ctx.message().merchant_id;
  const auto command = messages::parse_authorize_payment(ctx.message().payload);
  const auto topic = commerce::bus::topics::events("payment");

  const auto on_file = authorizations_.lock(tx, merchant, command.order_id);
  switch (decide_authorize(on_file)) {
    case AuthorizeAction::nothing:
      return;
    case AuthorizeAction::refuse_voided:
      authorizations_.mark_late_authorize_refused(tx, merchant, command.order_id);
      ctx.emit(topic, command.order_id, messages::kPaymentDeclined,
               messages::payment_declined(command.order_id, "voided", "voided"));
      metrics_.declined("voided");
      return;
    case AuthorizeAction::call_provider:
      break;
  }
  AuthorizationRequest request{merchant, command.order_id, command.amount, command.card_token,
                               command.order_id};
  const auto result = provider_.authorize(request);
  if (result.approved) {
    authorizations_.insert_authorized(tx, merchant, command.order_id, result.authorization_id,
                                      command.amount, provider_.name(), result.provider_code);
    ctx.emit(
        topic, command.order_id, messages::kPaymentAuthorized,
        messages::payment_authorized(command.order_id, result.authorization_id, command.amount));
    metrics_.authorized(command.amount);
    commerce::log::info("payment authorized", {{"order_id", command.order_id},
                                               {"authorization_id", result.authorization_id}});
    return;
  }
  // An adapter answering a reason outside our vocabulary is still a decline, of a bad card.
  const auto reason =
      is_decline_reason(result.decline_reason) ? result.decline_reason : "card_declined";
  const auto code = result.provider_code.empty() ? reason : result.provider_code;
  authorizations_.insert_declined(tx, merchant, command.order_id, command.amount, reason, code,
                                  provider_.name());
  ctx.emit(topic, command.order_id, messages::kPaymentDeclined,
           messages::payment_declined(command.order_id, reason, code));
  metrics_.declined(reason);
  commerce::log::info("payment declined", {{"order_id", command.order_id}, {"reason", reason}});
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
