#include "commerce/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace commerce::log {
namespace {

struct State {
  std::mutex mutex;
  std::string agent;
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<int> min_level{static_cast<int>(Level::info)};
};

// Never destroyed: threads (Kafka rebalance callbacks, relays) may still log while static
// objects are torn down at exit.
State& state() {
  static State* s = new State;
  return *s;
}

thread_local Context t_context;

const char* level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> make_logger() {
  // The line is complete JSON already: the pattern adds nothing but the newline.
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("commerce", std::move(sink));
  logger->set_pattern("%v");
  logger->set_level(spdlog::level::trace);  // filtering is ours (min_level)
  logger->flush_on(spdlog::level::trace);
  return logger;
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

bool is_reserved(const std::string& key) {
  static const char* kReserved[] = {"ts",         "level",          "agent",        "msg",
                                    "message_id", "correlation_id", "causation_id", "trace_id",
                                    "span_id",    "parent_span_id"};
  for (const char* r : kReserved) {
    if (key == r) return true;
  }
  return false;
}

}  // namespace

void init(const std::string& agent, const std::string& level) {
  Level parsed;
  if (level == "debug")
    parsed = Level::debug;
  else if (level == "info")
    parsed = Level::info;
  else if (level == "warn" || level == "warning")
    parsed = Level::warn;
  else if (level == "error")
    parsed = Level::error;
  else
    throw std::invalid_argument("log level must be debug, info, warn or error, got \"" + level +
                                "\"");
  auto& s = state();
  std::lock_guard lock(s.mutex);
  s.agent = agent;
  if (!s.logger) s.logger = make_logger();
  s.min_level = static_cast<int>(parsed);
}

ScopedContext::ScopedContext(Context context) : previous_(std::move(t_context)) {
  t_context = std::move(context);
}

ScopedContext::~ScopedContext() { t_context = std::move(previous_); }

const Context& current_context() { return t_context; }

std::string current_traceparent() {
  if (t_context.trace_id.empty() || t_context.span_id.empty()) return "";
  return "00-" + t_context.trace_id + "-" + t_context.span_id + "-01";
}

std::string format_line(Level level, std::string_view agent, std::string_view message,
                        const Context& context, const Fields& fields) {
  nlohmann::ordered_json line;
  line["ts"] = timestamp();
  line["level"] = level_name(level);
  line["agent"] = std::string(agent);
  line["msg"] = std::string(message);
  const std::pair<const char*, const std::string*> ids[] = {
      {"message_id", &context.message_id},     {"correlation_id", &context.correlation_id},
      {"causation_id", &context.causation_id}, {"trace_id", &context.trace_id},
      {"span_id", &context.span_id},           {"parent_span_id", &context.parent_span_id}};
  for (const auto& [key, value] : ids) {
    if (!value->empty()) line[key] = *value;
  }
  // Extra fields never overwrite the standard ones: a clash is kept under "field.<key>".
  for (const auto& [key, value] : fields) {
    line[is_reserved(key) ? "field." + key : key] = value;
  }
  // Invalid UTF-8 (bytes from the wire) is replaced, never thrown.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void write(Level level, std::string_view message, const Fields& fields) {
  auto& s = state();
  if (static_cast<int>(level) < s.min_level.load(std::memory_order_relaxed)) return;
  std::shared_ptr<spdlog::logger> logger;
  std::string agent;
  {
    std::lock_guard lock(s.mutex);
    if (!s.logger) s.logger = make_logger();  // usable before init (tests, tools)
    logger = s.logger;
    agent = s.agent;
  }
  logger->log(to_spdlog(level), "{}", format_line(level, agent, message, t_context, fields));
}

}  // namespace commerce::log
