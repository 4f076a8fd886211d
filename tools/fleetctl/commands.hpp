#pragma once
// fleetctl's commands; each returns the process exit code.
#include <map>
#include <string>
#include <vector>

#include "commerce/stack/stack.hpp"

namespace fleetctl {

// --name value pairs after the command.
using Flags = std::map<std::string, std::string>;

int run_up(const Flags& flags);
int run_demo(const Flags& flags);
int run_bench(const Flags& flags);
int run_status(const Flags& flags);
int run_topics(const Flags& flags);
// Operator commands against a running fleet (saga.cpp, dlq.cpp).
int run_saga(const std::vector<std::string>& args, const Flags& flags);
int run_dlq(const std::vector<std::string>& args, const Flags& flags);
int run_logs(const Flags& flags);

// <source>/.fleet unless --data is given.
std::string data_dir(const Flags& flags);
long flag_int(const Flags& flags, const std::string& name, long fallback);
// --broker dev|kafka, else FLEET_BROKER, else the development broker.
commerce::stack::BrokerKind broker_kind(const Flags& flags);

}  // namespace fleetctl
