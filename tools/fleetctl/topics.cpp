// fleetctl topics: applies deploy/topics.json to KAFKA_BROKERS (or --brokers), idempotently.
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "commerce/bus/topic_plan.hpp"
#include "commerce/stack/stack.hpp"

namespace fleetctl {

int run_topics(const Flags& flags) {
  std::string brokers;
  if (auto it = flags.find("brokers"); it != flags.end()) {
    brokers = it->second;
  } else if (const char* env = std::getenv("KAFKA_BROKERS"); env && *env) {
    brokers = env;
  }
  if (brokers.empty()) {
    std::cerr << "fleetctl topics: set KAFKA_BROKERS (or --brokers host:port)\n";
    return 2;
  }
  auto it = flags.find("file");
  const std::string path = it != flags.end() ? it->second : commerce::stack::topic_plan_path();
  const auto report =
      commerce::bus::apply_topic_plan(brokers, commerce::bus::load_topic_plan(path));
  for (const auto& t : report.created) std::cout << "created    " << t << "\n";
  for (const auto& t : report.grown) std::cout << "grown      " << t << "\n";
  for (const auto& t : report.unchanged) std::cout << "unchanged  " << t << "\n";
  for (const auto& d : report.drift) std::cout << "drift      " << d << "\n";
  for (const auto& n : report.notes) std::cout << "note       " << n << "\n";
  for (const auto& e : report.errors) std::cout << "error      " << e << "\n";
  std::cout << report.created.size() << " created, " << report.grown.size() << " grown, "
            << report.unchanged.size() << " unchanged, " << report.drift.size() << " drifted, "
            << report.errors.size() << " failed (" << path << " on " << brokers << ")" << std::endl;
  return report.ok() ? 0 : 1;
}

}  // namespace fleetctl
