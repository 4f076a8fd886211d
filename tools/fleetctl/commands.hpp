#pragma once
// fleetctl's commands; each returns the process exit code.
#include <map>
#include <string>

namespace fleetctl {

// --name value pairs after the command.
using Flags = std::map<std::string, std::string>;

int run_up(const Flags& flags);
int run_demo(const Flags& flags);
int run_bench(const Flags& flags);
int run_status(const Flags& flags);
int run_logs(const Flags& flags);

// <source>/.fleet unless --data is given.
std::string data_dir(const Flags& flags);
long flag_int(const Flags& flags, const std::string& name, long fallback);

}  // namespace fleetctl
