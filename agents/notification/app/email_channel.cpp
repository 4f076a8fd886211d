#include "app/email_channel.hpp"

#include "commerce/core/ids.hpp"
#include "commerce/store/store.hpp"

namespace notification {

void OutboxEmailChannel::send(pqxx::work& tx, std::span<const Email> emails) {
  if (emails.empty()) return;
  std::vector<std::string> ids, merchants, orders, kinds, recipients, subjects, bodies;
  for (const auto& e : emails) {
    ids.push_back(commerce::core::uuid_v7());
    merchants.push_back(e.merchant_id);
    orders.push_back(e.order_id);
    kinds.push_back(e.kind);
    recipients.push_back(e.recipient);
    subjects.push_back(e.subject);
    bodies.push_back(e.body);
  }
  using commerce::store::array_literal;
  commerce::store::exec(
      tx,
      "INSERT INTO emails (id, merchant_id, order_id, kind, recipient, subject, body) "
      "SELECT id, merchant_id, order_id, kind, recipient, subject, body "
      "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
      "$7::text[]) AS e(id, merchant_id, order_id, kind, recipient, subject, body)",
      array_literal(ids), array_literal(merchants), array_literal(orders), array_literal(kinds),
      array_literal(recipients), array_literal(subjects), array_literal(bodies));
}

}  // namespace notification
