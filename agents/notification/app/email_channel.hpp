#pragma once
// Where e-mails go. The default writes them to the agent's own emails table in the handler's
// transaction (so an e-mail exists exactly when its notification does); a real SMTP adapter
// would drain that table.
#include <pqxx/pqxx>

#include "domain/notification.hpp"

namespace notification {

class EmailChannel {
 public:
  virtual ~EmailChannel() = default;
  virtual void send(pqxx::work& tx, const Email& email) = 0;
};

class OutboxEmailChannel : public EmailChannel {
 public:
  void send(pqxx::work& tx, const Email& email) override;
};

}  // namespace notification
