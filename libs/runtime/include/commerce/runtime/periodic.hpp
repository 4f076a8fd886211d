#pragma once
// The loop of an agent's background job (sweeps, expiries, retention), run on an Agent worker.
#include <chrono>
#include <functional>
#include <stop_token>
#include <string_view>

namespace commerce::runtime {

// Until `stop`: runs `step`, again at once while it returns true (more work is waiting), then
// waits `interval` or until the stop. A step that throws is logged as "<what> failed" and tried
// again after the interval: a database that is away must not end the job.
void repeat_every(std::stop_token stop, std::chrono::milliseconds interval, std::string_view what,
                  const std::function<bool()>& step);

}  // namespace commerce::runtime
