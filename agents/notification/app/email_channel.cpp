#include "app/email_channel.hpp"

#include "commerce/core/ids.hpp"
#include "commerce/store/store.hpp"

namespace notification {

void OutboxEmailChannel::send(pqxx::work& tx, const Email& email) {
  commerce::store::exec(
      tx,
      "INSERT INTO emails (id, merchant_id, order_id, kind, recipient, subject, body) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
      commerce::core::uuid_v7(), email.merchant_id, email.order_id, email.kind, email.recipient,
      email.subject, email.body);
}

}  // namespace notification
