#pragma once
// One trace across the fleet's JSON log files: which lines belong to it, in time order, and how
// to print them for a person. Pure functions over text; fleetctl logs does the file reading.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetctl {

// The 32-hex trace id named by `id`: a trace id itself or a whole W3C traceparent
// (upper-case hex is accepted and lowered). nullopt when it is neither.
std::optional<std::string> trace_id_of(std::string_view id);

struct LogLine {
  std::string source;  // where it came from (a file name), for agents that left no "agent"
  std::string text;    // the line as written
};

struct TraceLine {
  std::string ts;
  std::string agent;
  nlohmann::ordered_json fields;
  std::string text;
};

// The lines whose trace_id is `trace_id`, oldest first. Lines that are not JSON objects (a
// crash message, a library's own output) are skipped; lines with equal timestamps keep their
// input order.
std::vector<TraceLine> trace_lines(const std::vector<LogLine>& lines, const std::string& trace_id);

// "07:21:03.412  order          info   order placed  span=9f1c.. order_id=..": time, agent, level,
// message, then the span and the line's own fields (the ids every line has are left out).
std::string readable(const TraceLine& line);

}  // namespace fleetctl
