#include "commerce/bus/topics.hpp"

namespace commerce::bus::topics {

std::string commands(const std::string& agent) { return "commerce." + agent + ".commands"; }
std::string events(const std::string& agent) { return "commerce." + agent + ".events"; }
std::string dlq(const std::string& agent) { return "commerce." + agent + ".dlq"; }

}  // namespace commerce::bus::topics
