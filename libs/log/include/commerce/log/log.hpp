#pragma once
// JSON-lines logging through spdlog. Every line carries the agent and, when set on this thread,
// the message id, correlation id, causation id, trace id, span id and parent span id of the work
// in hand.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace commerce::log {

enum class Level { debug, info, warn, error };

// Once at start-up. Writes to stderr. Level names: debug, info, warn, error.
void init(const std::string& agent, const std::string& level = "info");

struct Context {
  std::string message_id;
  std::string correlation_id;
  std::string causation_id;
  std::string trace_id;
  std::string span_id;
  std::string parent_span_id;  // the caller's span, when the hop continued a trace
};

// Sets the thread's context for its lifetime and restores the previous one after.
class ScopedContext {
 public:
  explicit ScopedContext(Context context);
  ~ScopedContext();
  ScopedContext(const ScopedContext&) = delete;
  ScopedContext& operator=(const ScopedContext&) = delete;

 private:
  Context previous_;
};

const Context& current_context();

// "00-<trace id>-<span id>-01" naming the current span as parent of downstream work (outgoing
// HTTP calls, emitted messages); "" when this thread is not inside a traced hop.
std::string current_traceparent();

using Fields = std::vector<std::pair<std::string, std::string>>;

void write(Level level, std::string_view message, const Fields& fields = {});
inline void debug(std::string_view m, const Fields& f = {}) { write(Level::debug, m, f); }
inline void info(std::string_view m, const Fields& f = {}) { write(Level::info, m, f); }
inline void warn(std::string_view m, const Fields& f = {}) { write(Level::warn, m, f); }
inline void error(std::string_view m, const Fields& f = {}) { write(Level::error, m, f); }

// The JSON object for one line (exposed for tests).
std::string format_line(Level level, std::string_view agent, std::string_view message,
                        const Context& context, const Fields& fields);

}  // namespace commerce::log
