#pragma once
// Where the operator commands find a running fleet: flags, then the environment, then the file
// `fleetctl up` writes (<data>/fleet.json: its random operator token and broker address), then
// the fixed ports of deploy/agents.json.
#include <string>

#include "commands.hpp"

namespace fleetctl {

struct RunningFleet {
  std::string orchestration_url;  // --url | ORCHESTRATION_URL | the fixed api port
  std::string operator_token;     // --token | OPERATOR_TOKEN | fleet.json
  std::string brokers;            // --brokers | KAFKA_BROKERS | fleet.json
};

RunningFleet running_fleet(const Flags& flags);

// Written by `fleetctl up` once the fleet is up (mode 0600: it holds the operator token),
// removed when it stops.
void write_fleet_file(const std::string& data_dir, const std::string& operator_token,
                      const std::string& brokers);
void remove_fleet_file(const std::string& data_dir);

}  // namespace fleetctl
