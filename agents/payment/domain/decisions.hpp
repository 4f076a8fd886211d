#pragma once
// What payment does with a command, given what is on file for the order. Pure.
// Never two authorizations for one order: a repeated AuthorizePayment does nothing (and never
// reaches the provider again); a VoidPayment that comes first leaves a tombstone, so a late
// AuthorizePayment is refused with reason "voided".
#include <optional>
#include <string>

namespace payment {

enum class AuthorizationStatus { authorized, declined, voided };

struct AuthorizationOnFile {
  AuthorizationStatus status = AuthorizationStatus::authorized;
  std::optional<std::string> authorization_id;  // null for a void tombstone or a decline
  bool late_authorize_refused = false;          // tombstone: PaymentDeclined "voided" was sent
  bool void_acknowledged = false;               // voided_at is set
};

enum class AuthorizeAction {
  call_provider,  // first AuthorizePayment for the order
  refuse_voided,  // voided before authorization: emit PaymentDeclined "voided", once
  nothing,        // decided already
};
AuthorizeAction decide_authorize(const std::optional<AuthorizationOnFile>& on_file);

enum class VoidAction {
  void_authorization,    // call the provider, mark voided, emit PaymentVoided with the id
  write_tombstone,       // nothing on file: record 'voided' with no id, emit PaymentVoided null
  acknowledge_declined,  // declined: nothing to void, emit PaymentVoided null once
  nothing,               // voided already
};
VoidAction decide_void(const std::optional<AuthorizationOnFile>& on_file);

// Reasons a PaymentDeclined carries.
bool is_decline_reason(const std::string& reason);

}  // namespace payment
