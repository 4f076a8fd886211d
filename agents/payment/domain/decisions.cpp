#include "domain/decisions.hpp"

namespace payment {

AuthorizeAction decide_authorize(const std::optional<AuthorizationOnFile>& on_file) {
  if (!on_file) return AuthorizeAction::call_provider;
  const bool tombstone =
      on_file->status == AuthorizationStatus::voided && !on_file->authorization_id;
  if (tombstone && !on_file->late_authorize_refused) return AuthorizeAction::refuse_voided;
  return AuthorizeAction::nothing;
}

VoidAction decide_void(const std::optional<AuthorizationOnFile>& on_file) {
  if (!on_file) return VoidAction::write_tombstone;
  switch (on_file->status) {
    case AuthorizationStatus::authorized:
      return VoidAction::void_authorization;
    case AuthorizationStatus::declined:
      return on_file->void_acknowledged ? VoidAction::nothing : VoidAction::acknowledge_declined;
    case AuthorizationStatus::voided:
      return VoidAction::nothing;
  }
  return VoidAction::nothing;
}

bool is_decline_reason(const std::string& reason) {
  return reason == "card_declined" || reason == "insufficient_funds" || reason == "expired_card" ||
         reason == "invalid_card_token" || reason == "voided";
}

}  // namespace payment
