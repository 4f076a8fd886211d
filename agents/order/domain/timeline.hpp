#pragma once
// An order's timeline when its saga ends: what inventory and payment answered (carried by
// orchestration in ConfirmOrder/CancelOrder as `history`), then the order's own final entry.
// Pure: the timeline tells the whole story of an order, not only its own status changes.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace order {

struct TimelineEntry {
  std::string event;  // e.g. "stock_reserved"
  std::string at;     // RFC 3339; "" means when it is recorded
  nlohmann::json detail = nlohmann::json::object();
};

// True for "2026-11-30T08:07:16Z", "2026-11-30T08:07:16.123+01:00" and the like.
bool is_rfc3339(const std::string& text);

// The saga's history (entries without a readable time are recorded at the time of writing,
// unreadable entries are left out), then `final_entry`.
std::vector<TimelineEntry> timeline_for(const nlohmann::json& history, TimelineEntry final_entry);

// As JSON rows [{event, at, detail}] for one insert.
nlohmann::json to_json(const std::vector<TimelineEntry>& entries);

}  // namespace order
