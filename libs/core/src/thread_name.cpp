#include "commerce/core/thread_name.hpp"

#include <pthread.h>

namespace commerce::core {

namespace {
constexpr std::size_t kMaxName = 15;  // TASK_COMM_LEN less the terminating zero
}

void name_this_thread(std::string_view name) {
  const std::string cut(name.substr(0, kMaxName));
  // Fails only for a name that is too long, which the cut rules out; a name is a label.
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

std::string this_thread_name() {
  char name[kMaxName + 1] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof name) != 0) return {};
  return name;
}

ScopedThreadName::ScopedThreadName(std::string_view name) : previous_(this_thread_name()) {
  name_this_thread(name);
}

ScopedThreadName::~ScopedThreadName() { name_this_thread(previous_); }

}  // namespace commerce::core
