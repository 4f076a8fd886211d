// fleetctl status: which agents of a `fleetctl up` fleet (fixed ports) answer /readyz.
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/stack.hpp"

namespace fleetctl {

int run_status(const Flags&) {
  commerce::http::Client client({std::chrono::milliseconds(1000), 1});
  bool all_ready = true;
  for (const auto& agent : commerce::stack::fleet_agents()) {
    const std::string url = "http://127.0.0.1:" + std::to_string(agent.admin_port) + "/readyz";
    std::string state;
    try {
      const auto r = client.get(url);
      state = r.status == 200 ? "ready" : "not ready (HTTP " + std::to_string(r.status) + ")";
      all_ready = all_ready && r.status == 200;
    } catch (const std::exception&) {
      state = "not running";
      all_ready = false;
    }
    std::cout << std::left << std::setw(15) << agent.name << " api :" << std::setw(6)
              << agent.api_port << " admin :" << std::setw(6) << agent.admin_port << state << "\n";
  }
  return all_ready ? 0 : 1;
}

}  // namespace fleetctl
