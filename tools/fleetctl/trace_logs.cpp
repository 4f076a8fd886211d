#include "trace_logs.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace fleetctl {

namespace {

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string text_of(const nlohmann::ordered_json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::optional<std::string> trace_id_of(std::string_view id) {
  // version "-" trace id "-" span id "-" flags
  if (id.size() >= 55 && id[2] == '-' && id[35] == '-' && id[52] == '-') id = id.substr(3, 32);
  if (id.size() != 32 || !is_hex(id)) return std::nullopt;
  auto trace = lower(id);
  if (trace.find_first_not_of('0') == std::string::npos) return std::nullopt;
  return trace;
}

std::vector<TraceLine> trace_lines(const std::vector<LogLine>& lines, const std::string& trace_id) {
  std::vector<TraceLine> found;
  for (const auto& line : lines) {
    // Cheap test before parsing: most lines of a busy fleet belong to other traces.
    if (line.text.find(trace_id) == std::string::npos) continue;
    auto doc = nlohmann::ordered_json::parse(line.text, nullptr, false);
    if (!doc.is_object()) continue;
    auto trace = doc.find("trace_id");
    if (trace == doc.end() || !trace->is_string() || *trace != trace_id) continue;
    TraceLine t;
    t.ts = doc.value("ts", "");
    t.agent = doc.value("agent", "");
    if (t.agent.empty()) t.agent = line.source;
    t.text = line.text;
    t.fields = std::move(doc);
    found.push_back(std::move(t));
  }
  // ISO 8601 UTC with fixed width: text order is time order.
  std::stable_sort(found.begin(), found.end(),
                   [](const TraceLine& a, const TraceLine& b) { return a.ts < b.ts; });
  return found;
}

std::string readable(const TraceLine& line) {
  static const char* kLeftOut[] = {"ts",           "agent",         "level",      "msg",
                                   "trace_id",     "span_id",       "message_id", "correlation_id",
                                   "causation_id", "parent_span_id"};
  std::ostringstream out;
  // "2026-11-22T07:21:03.412Z" -> "07:21:03.412"
  const std::string time = line.ts.size() >= 23 ? line.ts.substr(11, 12) : line.ts;
  std::string agent = line.agent;
  agent.resize(std::max<std::size_t>(agent.size(), 14), ' ');
  std::string level = line.fields.value("level", "");
  level.resize(std::max<std::size_t>(level.size(), 5), ' ');
  out << time << "  " << agent << " " << level << "  " << line.fields.value("msg", "");
  if (auto span = line.fields.find("span_id"); span != line.fields.end()) {
    out << "  span=" << text_of(*span);
  }
  for (const auto& [key, value] : line.fields.items()) {
    if (std::find(std::begin(kLeftOut), std::end(kLeftOut), key) != std::end(kLeftOut)) continue;
    out << " " << key << "=" << text_of(value);
  }
  return out.str();
}

}  // namespace fleetctl
