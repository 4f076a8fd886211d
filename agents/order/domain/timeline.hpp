#pragma once
// Which events from other agents become entries in an order's timeline, and what they say.
// Pure: the timeline tells the whole story of an order, not only its own status changes.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace order {

struct TimelineEntry {
  std::string event;  // e.g. "stock_reserved"
  nlohmann::json detail = nlohmann::json::object();
};

// nullopt for message types that do not belong in a timeline.
std::optional<TimelineEntry> timeline_entry_for(const std::string& message_type,
                                                const nlohmann::json& payload);

}  // namespace order
