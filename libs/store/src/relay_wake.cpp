// The in-process wake-up of the outbox relay (see relay_wake.hpp).
#include "relay_wake.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <mutex>
#include <stdexcept>
#include <unordered_map>

namespace commerce::store::detail {
namespace {

std::mutex registry_mutex;
std::unordered_map<std::string, std::shared_ptr<RelayWake>> registry;
// The relay to wake when the calling thread's transaction ends.
thread_local std::shared_ptr<RelayWake> marked;

// A role's outbox is relayed once per database: role, database and server name it.
std::string relay_key(pqxx::connection_base& c) {
  auto text = [](const char* s) { return std::string(s != nullptr ? s : ""); };
  return text(c.username()) + '\x1f' + text(c.dbname()) + '\x1f' + text(c.hostname()) + '\x1f' +
         text(c.port());
}

}  // namespace

RelayWake::RelayWake() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (fd_ < 0) throw std::runtime_error("outbox relay: eventfd failed");
}

RelayWake::~RelayWake() { ::close(fd_); }

void RelayWake::wake() {
  commits_.fetch_add(1);
  const std::uint64_t one = 1;
  (void)!::write(fd_, &one, sizeof one);
}

void RelayWake::drain() {
  std::uint64_t count;
  (void)!::read(fd_, &count, sizeof count);
}

void register_relay(pqxx::connection_base& relay_connection, std::shared_ptr<RelayWake> wake) {
  const auto key = relay_key(relay_connection);
  std::lock_guard lock(registry_mutex);
  registry[key] = std::move(wake);
}

void unregister_relay(const std::shared_ptr<RelayWake>& wake) {
  std::lock_guard lock(registry_mutex);
  std::erase_if(registry, [&](const auto& entry) { return entry.second == wake; });
}

bool mark_relay_wake(pqxx::transaction_base& tx) {
  const auto key = relay_key(tx.conn());
  std::lock_guard lock(registry_mutex);
  const auto found = registry.find(key);
  if (found == registry.end()) return false;
  marked = found->second;
  return true;
}

void wake_marked_relay() {
  if (!marked) return;
  marked->wake();
  marked.reset();
}

}  // namespace commerce::store::detail
