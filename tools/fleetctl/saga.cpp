// fleetctl saga list | retry | compensate: the orchestration agent's operator API
// (docs/agents/orchestration.md) with the operator token.
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "commerce/http/http.hpp"
#include "running_fleet.hpp"

namespace fleetctl {

using nlohmann::json;

namespace {

commerce::http::Headers auth(const RunningFleet& fleet) {
  commerce::http::Headers h;
  if (!fleet.operator_token.empty()) h.set("Authorization", "Bearer " + fleet.operator_token);
  return h;
}

// The error body's message, or the raw body.
std::string error_of(const commerce::http::Response& r) {
  try {
    const auto body = json::parse(r.body);
    return body.at("error").at("code").get<std::string>() + ": " +
           body.at("error").at("message").get<std::string>();
  } catch (const std::exception&) {
    return "HTTP " + std::to_string(r.status) + " " + r.body;
  }
}

int list(commerce::http::Client& client, const RunningFleet& fleet, const Flags& flags) {
  std::string query = "?limit=" + std::to_string(flag_int(flags, "limit", 50));
  if (flags.count("stuck")) query += "&stuck=true";
  if (auto it = flags.find("state"); it != flags.end()) query += "&state=" + it->second;
  const auto r = client.get(fleet.orchestration_url + "/sagas" + query, auth(fleet));
  if (r.status != 200) {
    std::cerr << "fleetctl saga list: " << error_of(r) << "\n";
    return 1;
  }
  const auto sagas = json::parse(r.body).at("sagas");
  std::cout << std::left << std::setw(38) << "SAGA" << std::setw(13) << "STATE" << std::setw(19)
            << "STEP" << std::setw(26) << "DEADLINE" << std::setw(7) << "STUCK"
            << "ORDER\n";
  for (const auto& s : sagas) {
    std::cout << std::left << std::setw(38) << s.at("id").get<std::string>() << std::setw(13)
              << s.at("state").get<std::string>() << std::setw(19)
              << s.at("step").get<std::string>() << std::setw(26)
              << s.at("deadline").get<std::string>() << std::setw(7)
              << (s.at("stuck").get<bool>() ? "yes" : "no") << s.at("order_id").get<std::string>()
              << "\n";
  }
  return 0;
}

int act(commerce::http::Client& client, const RunningFleet& fleet, const std::string& action,
        const std::string& id) {
  const auto r =
      client.post(fleet.orchestration_url + "/sagas/" + id + "/" + action, "", auth(fleet));
  if (r.status != 200) {
    std::cerr << "fleetctl saga " << action << " " << id << ": " << error_of(r) << "\n";
    return 1;
  }
  const auto saga = json::parse(r.body);
  const auto& steps = saga.at("steps");
  std::cout << saga.at("id").get<std::string>() << " " << saga.at("state").get<std::string>()
            << " (step " << saga.at("step").get<std::string>() << ", deadline "
            << saga.at("deadline").get<std::string>() << ")";
  if (!steps.empty()) std::cout << ": " << steps.back().at("note").get<std::string>();
  std::cout << "\n";
  return 0;
}

}  // namespace

int run_saga(const std::vector<std::string>& args, const Flags& flags) {
  const auto fleet = running_fleet(flags);
  commerce::http::Client client({std::chrono::milliseconds(5000), 1});
  const std::string sub = args.empty() ? "" : args[0];
  if (sub == "list" && args.size() == 1) return list(client, fleet, flags);
  if ((sub == "retry" || sub == "compensate") && args.size() == 2)
    return act(client, fleet, sub, args[1]);
  std::cerr << "usage: fleetctl saga list [--stuck] [--state S] [--limit N]\n"
               "       fleetctl saga retry|compensate <saga id>\n";
  return 2;
}

}  // namespace fleetctl
