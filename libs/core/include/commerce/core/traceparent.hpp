#pragma once
// W3C Trace Context `traceparent`: 00-<32 hex trace id>-<16 hex parent span id>-<2 hex flags>.
#include <optional>
#include <string>
#include <string_view>

namespace commerce::core {

struct TraceParent {
  std::string trace_id;  // 32 hex
  std::string span_id;   // 16 hex
  std::string flags = "01";

  std::string to_string() const;
  // A new span in the same trace.
  TraceParent child() const;
  static TraceParent fresh();
  // The span of one hop (an HTTP request served, a message handled): a child of `incoming` when
  // that is a valid traceparent, else the root span of a fresh trace.
  static TraceParent next_hop(std::string_view incoming);
  static std::optional<TraceParent> parse(std::string_view header);
};

}  // namespace commerce::core
