#pragma once
// How committed outbox rows wake the relay. A NOTIFY makes PostgreSQL signal every listening
// backend of the database at each commit (one relay per agent: each woke, read the queue and
// slept again), so the relay of this process is woken in-process instead: the writer marks its
// thread, and the pool wakes the marked relay when the attempt ends (after COMMIT). Writers with
// no relay of their role in this process (a standby instance) still NOTIFY.
#include <atomic>
#include <cstdint>
#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace commerce::store::detail {

// The wake-up of one relay that holds its role's relay lock in this process.
class RelayWake {
 public:
  RelayWake();
  ~RelayWake();
  RelayWake(const RelayWake&) = delete;
  RelayWake& operator=(const RelayWake&) = delete;

  void wake();                    // after a commit that appended rows
  int fd() const { return fd_; }  // readable after wake()
  void drain();                   // before reading the outbox
  std::uint64_t commits() const { return commits_.load(); }

 private:
  int fd_;
  std::atomic<std::uint64_t> commits_{0};
};

// While registered, writers on a connection of the same role, database and server wake `wake`
// instead of sending NOTIFY.
void register_relay(pqxx::connection_base& relay_connection, std::shared_ptr<RelayWake> wake);
void unregister_relay(const std::shared_ptr<RelayWake>& wake);

// Marks the calling thread's transaction; true when a relay of this process will be woken.
bool mark_relay_wake(pqxx::transaction_base& tx);
// Wakes the relay marked by this thread, if any (the pool calls it when an attempt ends).
void wake_marked_relay();

}  // namespace commerce::store::detail
