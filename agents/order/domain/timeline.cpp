#include "domain/timeline.hpp"

#include <cctype>

namespace order {

namespace {

bool digits(const std::string& s, std::size_t from, std::size_t n) {
  if (from + n > s.size()) return false;
  for (std::size_t i = from; i < from + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  }
  return true;
}

}  // namespace

bool is_rfc3339(const std::string& t) {
  // YYYY-MM-DDTHH:MM:SS
  if (!(digits(t, 0, 4) && t.size() > 19 && t[4] == '-' && digits(t, 5, 2) && t[7] == '-' &&
        digits(t, 8, 2) && (t[10] == 'T' || t[10] == 't') && digits(t, 11, 2) && t[13] == ':' &&
        digits(t, 14, 2) && t[16] == ':' && digits(t, 17, 2))) {
    return false;
  }
  std::size_t i = 19;
  if (t[i] == '.') {
    const std::size_t start = ++i;
    while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
    if (i == start || i - start > 9) return false;
  }
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z')) return i + 1 == t.size();
  return i + 6 == t.size() && (t[i] == '+' || t[i] == '-') && digits(t, i + 1, 2) &&
         t[i + 3] == ':' && digits(t, i + 4, 2);
}

std::vector<TimelineEntry> timeline_for(const nlohmann::json& history, TimelineEntry final_entry) {
  std::vector<TimelineEntry> out;
  if (history.is_array()) {
    for (const auto& item : history) {
      if (!item.is_object()) continue;
      auto event = item.find("event");
      if (event == item.end() || !event->is_string() || event->get<std::string>().empty()) continue;
      TimelineEntry entry{event->get<std::string>(), "", nlohmann::json::object()};
      if (auto at = item.find("at");
          at != item.end() && at->is_string() && is_rfc3339(at->get<std::string>())) {
        entry.at = at->get<std::string>();
      }
      if (auto detail = item.find("detail"); detail != item.end() && detail->is_object()) {
        entry.detail = *detail;
      }
      out.push_back(std::move(entry));
    }
  }
  out.push_back(std::move(final_entry));
  return out;
}

nlohmann::json to_json(const std::vector<TimelineEntry>& entries) {
  auto rows = nlohmann::json::array();
  for (const auto& e : entries)
    rows.push_back({{"event", e.event}, {"at", e.at}, {"detail", e.detail}});
  return rows;
}

}  // namespace order
