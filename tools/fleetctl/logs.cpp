// fleetctl logs --trace ID [--dir D] [--json]: one trace's lines from every agent of the fleet,
// in time order. The logs are the JSON lines the agents of `fleetctl up`/`demo` write to
// <data>/logs/<instance>.log (or any folder of such files given with --dir).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "trace_logs.hpp"

namespace fleetctl {

namespace fs = std::filesystem;

int run_logs(const Flags& flags) {
  auto trace = flags.find("trace");
  if (trace == flags.end()) {
    std::cerr << "fleetctl logs: --trace ID is required (a 32-hex trace id or a traceparent)\n";
    return 2;
  }
  const auto trace_id = trace_id_of(trace->second);
  if (!trace_id) {
    std::cerr << "fleetctl logs: '" << trace->second
              << "' is neither a 32-hex trace id nor a W3C traceparent\n";
    return 2;
  }
  auto dir_flag = flags.find("dir");
  const std::string dir = dir_flag != flags.end() ? dir_flag->second : data_dir(flags) + "/logs";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    std::cerr << "fleetctl logs: no log folder at " << dir
              << " (start the fleet with ./fleet up or ./fleet demo, or pass --dir)\n";
    return 2;
  }
  std::vector<LogLine> lines;
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".log") continue;
    ++files;
    std::ifstream in(entry.path());
    const std::string source = entry.path().stem().string();
    for (std::string text; std::getline(in, text);) lines.push_back({source, std::move(text)});
  }
  const auto found = trace_lines(lines, *trace_id);
  if (found.empty()) {
    std::cerr << "fleetctl logs: no line of trace " << *trace_id << " in " << files
              << " log files under " << dir << "\n";
    return 1;
  }
  const bool json = flags.count("json") && flags.at("json") != "false";
  for (const auto& line : found) std::cout << (json ? line.text : readable(line)) << "\n";
  return 0;
}

}  // namespace fleetctl
