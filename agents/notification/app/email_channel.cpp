#include "app/email_channel.hpp"

#include <nlohmann/json.hpp>

#include "commerce/core/ids.hpp"
#include "commerce/store/store.hpp"

namespace notification {

void OutboxEmailChannel::send(pqxx::work& tx, std::span<const Email> emails) {
  if (emails.empty()) return;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : emails) {
    rows.push_back({{"id", commerce::core::uuid_v7()},
                    {"merchant_id", e.merchant_id},
                    {"order_id", e.order_id},
                    {"kind", e.kind},
                    {"recipient", e.recipient},
                    {"subject", e.subject},
                    {"body", e.body}});
  }
  commerce::store::exec(
      tx,
      "INSERT INTO emails (id, merchant_id, order_id, kind, recipient, subject, body) "
      "SELECT id, merchant_id, order_id, kind, recipient, subject, body "
      "FROM jsonb_to_recordset($1::jsonb) AS e(id uuid, merchant_id text, order_id text, "
      "kind text, recipient text, subject text, body text)",
      rows.dump());
}

}  // namespace notification
