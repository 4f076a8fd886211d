#pragma once
// Where e-mails go. The default writes them to the agent's own emails table in the handler's
// transaction (so an e-mail exists exactly when its notification does); a real SMTP adapter
// would drain that table.
#include <pqxx/pqxx>
#include <span>

#include "domain/notification.hpp"

namespace notification {

class EmailChannel {
 public:
  virtual ~EmailChannel() = default;
  // The e-mails of one handled batch, in order.
  virtual void send(pqxx::work& tx, std::span<const Email> emails) = 0;
};

class OutboxEmailChannel : public EmailChannel {
 public:
  // One statement for the whole batch.
  void send(pqxx::work& tx, std::span<const Email> emails) override;
};

}  // namespace notification
