#include "commerce/log/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace commerce::log {
namespace {

struct State {
  std::mutex mutex;
  // Shared, never changed in place: a line is formatted outside the lock without copying it.
  std::shared_ptr<const std::string> agent = std::make_shared<const std::string>();
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
  s.agent = std::make_shared<const std::string>(agent);
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

namespace {

// Appends `text` as a JSON string. Invalid UTF-8 (bytes from the wire) becomes U+FFFD, one
// per byte that starts no valid sequence, never an exception.
void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0x0f]);
          } else {
            out.push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    // Length and the allowed range of the second byte (no overlong forms, no surrogates,
    // nothing above U+10FFFF), as in the Unicode standard's table of well-formed sequences.
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool valid = len > 0 && i + len <= n && p[i + 1] >= lo && p[i + 1] <= hi;
    for (std::size_t k = 2; valid && k < len; ++k) valid = (p[i + k] & 0xc0) == 0x80;
    if (valid) {
      out.append(text.data() + i, len);
      i += len;
    } else {
      out += "\xef\xbf\xbd";
      ++i;
    }
  }
  out.push_back('"');
}

void append_member(std::string& out, std::string_view key, std::string_view value) {
  out.push_back(',');
  append_json_string(out, key);
  out.push_back(':');
  append_json_string(out, value);
}

}  // namespace

std::string format_line(Level level, std::string_view agent, std::string_view message,
                        const Context& context, const Fields& fields) {
  // Written directly rather than through a JSON document: one line per handled message makes
  // this a visible share of an agent's time.
  std::string line;
  line.reserve(256 + message.size());
  line += "{\"ts\":\"";
  line += timestamp();
  line += "\",\"level\":\"";
  line += level_name(level);
  line += '"';
  append_member(line, "agent", agent);
  append_member(line, "msg", message);
  const std::pair<const char*, const std::string*> ids[] = {
      {"message_id", &context.message_id},     {"correlation_id", &context.correlation_id},
      {"causation_id", &context.causation_id}, {"trace_id", &context.trace_id},
      {"span_id", &context.span_id},           {"parent_span_id", &context.parent_span_id}};
  for (const auto& [key, value] : ids) {
    if (!value->empty()) append_member(line, key, *value);
  }
  // Extra fields never overwrite the standard ones: a clash is kept under "field.<key>". A key
  // given twice appears once, where it was first given, with the value given last.
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const auto& key = fields[i].first;
    bool seen_before = false;
    for (std::size_t j = 0; j < i && !seen_before; ++j) seen_before = fields[j].first == key;
    if (seen_before) continue;
    const std::string* value = &fields[i].second;
    for (std::size_t j = i + 1; j < fields.size(); ++j) {
      if (fields[j].first == key) value = &fields[j].second;
    }
    append_member(line, is_reserved(key) ? "field." + key : key, *value);
  }
  line.push_back('}');
  return line;
}

void write(Level level, std::string_view message, const Fields& fields) {
  auto& s = state();
  if (static_cast<int>(level) < s.min_level.load(std::memory_order_relaxed)) return;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<const std::string> agent;
  {
    std::lock_guard lock(s.mutex);
    if (!s.logger) s.logger = make_logger();  // usable before init (tests, tools)
    logger = s.logger;
    agent = s.agent;
  }
  const auto line = format_line(level, *agent, message, t_context, fields);
  logger->log(to_spdlog(level), spdlog::string_view_t(line));
}

}  // namespace commerce::log
