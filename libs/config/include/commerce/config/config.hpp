#pragma once
// Configuration from the environment plus an optional file of KEY=VALUE lines (named by the
// CONFIG_FILE variable). The environment wins. A missing or malformed setting throws ConfigError
// whose message names the setting, so start-up stops with one clear line.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

namespace commerce::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Config {
 public:
  // Environment, then CONFIG_FILE if set (a missing or unreadable file is a ConfigError).
  static Config load();
  static Config from_map(std::map<std::string, std::string> values);

  std::optional<std::string> find(const std::string& key) const;
  std::string require(const std::string& key) const;
  std::string get(const std::string& key, const std::string& fallback) const;
  std::int64_t get_int(const std::string& key, std::int64_t fallback) const;
  std::int64_t require_int(const std::string& key) const;
  bool get_bool(const std::string& key, bool fallback) const;
  std::chrono::milliseconds get_millis(const std::string& key,
                                       std::chrono::milliseconds fallback) const;
  // "name=value name=value ..." (whitespace-separated, e.g. librdkafka properties); empty when
  // unset. An entry without '=' or with an empty name is a ConfigError.
  std::map<std::string, std::string> get_pairs(const std::string& key) const;
  // A TCP port 0..65535 (0 = pick a free one).
  std::uint16_t get_port(const std::string& key, std::uint16_t fallback) const;

  // A copy with one value overridden (tests, derived settings).
  Config with(const std::string& key, const std::string& value) const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace commerce::config
