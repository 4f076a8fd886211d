#pragma once
// Names the calling thread as `top -H`, `ps -L` and /proc/<pid>/task/*/comm show it, so an SRE
// (or a profile) can tell an agent's consumer from its relay or its HTTP workers.
#include <string>
#include <string_view>

namespace commerce::core {

// Linux keeps at most 15 bytes of a thread's name: longer names are cut there.
void name_this_thread(std::string_view name);
std::string this_thread_name();

// Names the calling thread for its lifetime and restores the old name after. Threads inherit
// their creator's name, so this also names threads that a library creates for us.
class ScopedThreadName {
 public:
  explicit ScopedThreadName(std::string_view name);
  ~ScopedThreadName();
  ScopedThreadName(const ScopedThreadName&) = delete;
  ScopedThreadName& operator=(const ScopedThreadName&) = delete;

 private:
  std::string previous_;
};

}  // namespace commerce::core
