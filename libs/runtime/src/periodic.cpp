#include "commerce/runtime/periodic.hpp"

#include <condition_variable>
#include <mutex>
#include <string>

#include "commerce/log/log.hpp"

namespace commerce::runtime {

void repeat_every(std::stop_token stop, std::chrono::milliseconds interval, std::string_view what,
                  const std::function<bool()>& step) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    bool more = false;
    try {
      more = step();
    } catch (const std::exception& e) {
      log::warn(std::string(what) + " failed", {{"error", e.what()}});
    }
    if (more) continue;
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, interval, [] { return false; });
  }
}

}  // namespace commerce::runtime
