#include "running_fleet.hpp"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commerce/stack/stack.hpp"

namespace fleetctl {

namespace {

std::string fleet_file(const std::string& data_dir) { return data_dir + "/fleet.json"; }

std::string first_of(const Flags& flags, const std::string& flag, const char* env,
                     const nlohmann::json& file, const std::string& key) {
  if (auto it = flags.find(flag); it != flags.end()) return it->second;
  if (const char* value = std::getenv(env); value && *value) return value;
  if (file.is_object() && file.contains(key)) return file.at(key).get<std::string>();
  return "";
}

}  // namespace

RunningFleet running_fleet(const Flags& flags) {
  nlohmann::json file;
  if (std::ifstream in(fleet_file(data_dir(flags))); in) {
    try {
      file = nlohmann::json::parse(in);
    } catch (const std::exception&) {
      file = nullptr;  // half-written or stale: fall back to the rest
    }
  }
  RunningFleet fleet;
  fleet.orchestration_url = first_of(flags, "url", "ORCHESTRATION_URL", nullptr, "");
  if (fleet.orchestration_url.empty()) {
    for (const auto& agent : commerce::stack::fleet_agents()) {
      if (agent.name == "orchestration")
        fleet.orchestration_url = "http://127.0.0.1:" + std::to_string(agent.api_port);
    }
  }
  fleet.operator_token = first_of(flags, "token", "OPERATOR_TOKEN", file, "operator_token");
  fleet.brokers = first_of(flags, "brokers", "KAFKA_BROKERS", file, "brokers");
  return fleet;
}

void write_fleet_file(const std::string& data_dir, const std::string& operator_token,
                      const std::string& brokers) {
  const auto path = fleet_file(data_dir);
  const auto temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    out << nlohmann::json{{"operator_token", operator_token}, {"brokers", brokers}}.dump() << "\n";
  }
  ::chmod(temporary.c_str(), 0600);
  std::filesystem::rename(temporary, path);
}

void remove_fleet_file(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::remove(fleet_file(data_dir), ec);
}

}  // namespace fleetctl
