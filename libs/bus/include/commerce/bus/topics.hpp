#pragma once
#include <string>

namespace commerce::bus::topics {

// commerce.<agent>.commands / .events / .dlq
std::string commands(const std::string& agent);
std::string events(const std::string& agent);
std::string dlq(const std::string& agent);

}  // namespace commerce::bus::topics
