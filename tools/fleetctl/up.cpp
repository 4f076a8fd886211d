// fleetctl up: the fleet on this machine until SIGINT/SIGTERM.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "commands.hpp"
#include "local_stack.hpp"
#include "running_fleet.hpp"

namespace fleetctl {

namespace {

std::atomic<bool> stop_requested{false};

void on_signal(int) { stop_requested = true; }

}  // namespace

int run_up(const Flags& flags) {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  LocalStack stack({data_dir(flags), false, true, broker_kind(flags)});
  stack.start();
  // For `fleetctl saga ...` and `fleetctl dlq ...` in another terminal.
  write_fleet_file(data_dir(flags), stack.fleet().operator_token(), stack.brokers());
  std::cout << "The fleet is up.\n"
            << "  gateway         " << stack.gateway_url() << "\n"
            << "  operator token  " << stack.fleet().operator_token() << "\n"
            << "  broker          " << stack.brokers() << "\n"
            << "  logs            " << stack.fleet().log_dir() << "\n"
            << "Create a merchant:\n"
            << "  curl -s -X POST " << stack.gateway_url() << "/v1/merchants -H 'Authorization: "
            << "Bearer " << stack.fleet().operator_token()
            << "' -H 'Content-Type: application/json' -d '{\"name\":\"Acme\"}'\n"
            << "Ctrl-C stops everything." << std::endl;

  bool crashed = false;
  while (!stop_requested) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    for (const auto& instance : stack.fleet().instances()) {
      auto& agent = stack.fleet().agent(instance);
      if (!agent.process->alive()) {
        note(instance + " exited; see " + stack.fleet().log_dir() + "/" + instance + ".log");
        stack.fleet().stop(instance);  // collects it; `up` keeps serving the rest
        crashed = true;
      }
    }
  }
  note("stopping");
  remove_fleet_file(data_dir(flags));
  const bool clean = stack.stop();
  note(clean ? "stopped" : "stopped (some agents did not exit cleanly)");
  return clean && !crashed ? 0 : 1;
}

}  // namespace fleetctl
