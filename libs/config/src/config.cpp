#include "commerce/config/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>

extern char** environ;

namespace commerce::config {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

[[noreturn]] void bad(const std::string& key, const std::string& what, const std::string& got) {
  throw ConfigError("config: " + key + " must be " + what + ", got \"" + got + "\"");
}

std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t v = 0;
  const char* begin = s.data();
  const char* end = s.data() + s.size();
  if (begin != end && *begin == '+') ++begin;  // from_chars rejects a leading '+'
  const auto [ptr, ec] = std::from_chars(begin, end, v);
  if (ec != std::errc() || ptr != end || begin == end) return std::nullopt;
  return v;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// KEY=VALUE lines; '#' starts a comment line; blank lines are skipped. Values may be quoted
// with matching single or double quotes, which are removed.
std::map<std::string, std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("config: CONFIG_FILE \"" + path + "\" cannot be read");
  std::map<std::string, std::string> values;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    const auto eq = t.find('=');
    const std::string key = eq == std::string::npos ? "" : trim(t.substr(0, eq));
    if (key.empty() || key.find_first_of(" \t") != std::string::npos) {
      throw ConfigError("config: CONFIG_FILE \"" + path + "\" line " + std::to_string(number) +
                        " must be KEY=VALUE, got \"" + t + "\"");
    }
    std::string value = trim(t.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    values[key] = value;
  }
  return values;
}

}  // namespace

Config Config::load() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  std::map<std::string, std::string> values;
  if (auto it = env.find("CONFIG_FILE"); it != env.end() && !it->second.empty()) {
    values = read_file(it->second);
  }
  for (auto& [k, v] : env) values[k] = std::move(v);  // the environment wins
  return from_map(std::move(values));
}

Config Config::from_map(std::map<std::string, std::string> values) {
  Config c;
  c.values_ = std::move(values);
  return c;
}

// An empty value counts as unset, so `FOO=` in a file or environment means "use the default".
std::optional<std::string> Config::find(const std::string& key) const {
  const auto it = values_.find(key);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

std::string Config::require(const std::string& key) const {
  auto v = find(key);
  if (!v) throw ConfigError("config: " + key + " is required but not set");
  return *v;
}

std::string Config::get(const std::string& key, const std::string& fallback) const {
  return find(key).value_or(fallback);
}

std::int64_t Config::get_int(const std::string& key, std::int64_t fallback) const {
  const auto v = find(key);
  if (!v) return fallback;
  const auto n = parse_int(trim(*v));
  if (!n) bad(key, "an integer", *v);
  return *n;
}

std::int64_t Config::require_int(const std::string& key) const {
  const std::string v = require(key);
  const auto n = parse_int(trim(v));
  if (!n) bad(key, "an integer", v);
  return *n;
}

bool Config::get_bool(const std::string& key, bool fallback) const {
  const auto v = find(key);
  if (!v) return fallback;
  const std::string s = lower(trim(*v));
  if (s == "true" || s == "1" || s == "yes" || s == "on") return true;
  if (s == "false" || s == "0" || s == "no" || s == "off") return false;
  bad(key, "a boolean (true/false/1/0/yes/no/on/off)", *v);
}

std::map<std::string, std::string> Config::get_pairs(const std::string& key) const {
  std::map<std::string, std::string> out;
  const auto v = find(key);
  if (!v) return out;
  std::istringstream words(*v);
  for (std::string word; words >> word;) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError("config: " + key + " must be name=value pairs separated by spaces, got \"" +
                        word + "\"");
    }
    out[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return out;
}

std::chrono::milliseconds Config::get_millis(const std::string& key,
                                             std::chrono::milliseconds fallback) const {
  const auto v = find(key);
  if (!v) return fallback;
  const std::string s = lower(trim(*v));
  // Plain integers are milliseconds; suffixes ms, s, m, h are accepted.
  std::size_t digits = 0;
  while (digits < s.size() && (std::isdigit(static_cast<unsigned char>(s[digits])) != 0)) {
    ++digits;
  }
  const std::string unit = s.substr(digits);
  const auto n = parse_int(s.substr(0, digits));
  std::int64_t factor = 0;
  if (unit.empty() || unit == "ms")
    factor = 1;
  else if (unit == "s")
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  if (!n || factor == 0 || *n > std::numeric_limits<std::int64_t>::max() / factor) {
    bad(key, "a duration (milliseconds, or a number with ms, s, m or h)", *v);
  }
  return std::chrono::milliseconds(*n * factor);
}

std::uint16_t Config::get_port(const std::string& key, std::uint16_t fallback) const {
  const auto v = find(key);
  if (!v) return fallback;
  const auto n = parse_int(trim(*v));
  if (!n || *n < 0 || *n > 65535) bad(key, "a port number 0-65535", *v);
  return static_cast<std::uint16_t>(*n);
}

Config Config::with(const std::string& key, const std::string& value) const {
  Config c = *this;
  c.values_[key] = value;
  return c;
}

}  // namespace commerce::config
