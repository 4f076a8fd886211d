#include "commerce/core/traceparent.hpp"

#include "commerce/core/ids.hpp"

namespace commerce::core {
namespace {

bool is_lower_hex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool all_zero(std::string_view s) { return s.find_first_not_of('0') == std::string_view::npos; }

std::string nonzero_hex(std::size_t chars) {
  for (;;) {
    std::string h = random_hex(chars);
    if (!all_zero(h)) return h;
  }
}

}  // namespace

std::string TraceParent::to_string() const {
  return "00-" + trace_id + "-" + span_id + "-" + flags;
}

TraceParent TraceParent::child() const { return TraceParent{trace_id, nonzero_hex(16), flags}; }

TraceParent TraceParent::fresh() { return TraceParent{nonzero_hex(32), nonzero_hex(16), "01"}; }

TraceParent TraceParent::next_hop(std::string_view incoming) {
  if (auto parent = parse(incoming)) return parent->child();
  return fresh();
}

std::optional<TraceParent> TraceParent::parse(std::string_view h) {
  // version "-" trace-id "-" parent-id "-" flags = 2+1+32+1+16+1+2 = 55
  if (h.size() < 55) return std::nullopt;
  const auto version = h.substr(0, 2);
  if (!is_lower_hex(version) || version == "ff") return std::nullopt;
  // Version 00 is exactly 55 characters; later versions may append "-..." fields.
  if (version == "00" ? h.size() != 55 : (h.size() > 55 && h[55] != '-')) return std::nullopt;
  if (h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  const auto trace = h.substr(3, 32);
  const auto span = h.substr(36, 16);
  const auto flags = h.substr(53, 2);
  if (!is_lower_hex(trace) || !is_lower_hex(span) || !is_lower_hex(flags)) return std::nullopt;
  if (all_zero(trace) || all_zero(span)) return std::nullopt;
  return TraceParent{std::string(trace), std::string(span), std::string(flags)};
}

}  // namespace commerce::core
