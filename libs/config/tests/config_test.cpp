#include "commerce/config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

using commerce::config::Config;
using commerce::config::ConfigError;
using namespace std::chrono_literals;

namespace {

// The message of the ConfigError thrown by `f`, or "" if none was thrown.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

class TempFile {
 public:
  explicit TempFile(const std::string& content)
      : path_(std::filesystem::temp_directory_path() /
              ("config_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))) {
    std::ofstream(path_) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

class ScopedEnv {
 public:
  ScopedEnv(const char* key, const std::string& value) : key_(key) {
    ::setenv(key, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(key_); }

 private:
  const char* key_;
};

}  // namespace

TEST(Config, TypedGettersWithFallbacks) {
  const auto c = Config::from_map({{"NAME", "orders"},
                                   {"N", "42"},
                                   {"NEG", "-7"},
                                   {"FLAG", "Yes"},
                                   {"OFF", "0"},
                                   {"T1", "250"},
                                   {"T2", "3s"},
                                   {"T3", "2m"},
                                   {"T4", "15ms"},
                                   {"PORT", "8080"},
                                   {"EMPTY", ""}});
  EXPECT_EQ(c.get("NAME", "x"), "orders");
  EXPECT_EQ(c.get("MISSING", "x"), "x");
  EXPECT_EQ(c.get("EMPTY", "x"), "x");
  EXPECT_FALSE(c.find("EMPTY").has_value());
  EXPECT_EQ(c.get_int("N", 1), 42);
  EXPECT_EQ(c.get_int("NEG", 1), -7);
  EXPECT_EQ(c.get_int("MISSING", 5), 5);
  EXPECT_EQ(c.require_int("N"), 42);
  EXPECT_TRUE(c.get_bool("FLAG", false));
  EXPECT_FALSE(c.get_bool("OFF", true));
  EXPECT_TRUE(c.get_bool("MISSING", true));
  EXPECT_EQ(c.get_millis("T1", 1ms), 250ms);
  EXPECT_EQ(c.get_millis("T2", 1ms), 3000ms);
  EXPECT_EQ(c.get_millis("T3", 1ms), 120000ms);
  EXPECT_EQ(c.get_millis("T4", 1ms), 15ms);
  EXPECT_EQ(c.get_millis("MISSING", 9ms), 9ms);
  EXPECT_EQ(c.get_port("PORT", 1), 8080);
  EXPECT_EQ(c.get_port("MISSING", 1), 1);
}

TEST(Config, ErrorsNameTheKeyAndTheProblem) {
  const auto c = Config::from_map(
      {{"API_PORT", "abc"}, {"BIG_PORT", "70000"}, {"N", "12x"}, {"B", "maybe"}, {"T", "5 days"}});
  EXPECT_EQ(error_of([&] { c.get_port("API_PORT", 0); }),
            "config: API_PORT must be a port number 0-65535, got \"abc\"");
  EXPECT_EQ(error_of([&] { c.get_port("BIG_PORT", 0); }),
            "config: BIG_PORT must be a port number 0-65535, got \"70000\"");
  EXPECT_EQ(error_of([&] { c.get_int("N", 0); }), "config: N must be an integer, got \"12x\"");
  EXPECT_NE(error_of([&] { c.get_bool("B", false); }).find("config: B must be a boolean"),
            std::string::npos);
  EXPECT_NE(error_of([&] { c.get_millis("T", 1ms); }).find("config: T must be a duration"),
            std::string::npos);
  EXPECT_EQ(error_of([&] { c.require("DATABASE_URL"); }),
            "config: DATABASE_URL is required but not set");
  EXPECT_EQ(error_of([&] { c.require_int("MISSING"); }), "config: MISSING is required but not set");
}

TEST(Config, NameValuePairs) {
  auto c = Config::from_map({{"P", "  fetch.wait.max.ms=100  debug=consumer,cgrp x= "},
                             {"BAD", "a=1 b"},
                             {"NONAME", "=3"}});
  EXPECT_EQ(c.get_pairs("P"),
            (std::map<std::string, std::string>{
                {"fetch.wait.max.ms", "100"}, {"debug", "consumer,cgrp"}, {"x", ""}}));
  EXPECT_TRUE(c.get_pairs("UNSET").empty());
  try {
    c.get_pairs("BAD");
    FAIL() << "an entry without = is an error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("BAD"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"b\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(c.get_pairs("NONAME"), ConfigError);
}

TEST(Config, WithOverridesOneValueInACopy) {
  const auto a = Config::from_map({{"A", "1"}});
  const auto b = a.with("A", "2").with("B", "3");
  EXPECT_EQ(a.get("A", ""), "1");
  EXPECT_EQ(b.get("A", ""), "2");
  EXPECT_EQ(b.get("B", ""), "3");
}

TEST(Config, LoadReadsEnvironment) {
  ScopedEnv env("COMMERCE_CONFIG_TEST_A", "from-env");
  EXPECT_EQ(Config::load().require("COMMERCE_CONFIG_TEST_A"), "from-env");
}

TEST(Config, LoadReadsFileAndEnvironmentWins) {
  TempFile file(
      "# a comment\n"
      "\n"
      "COMMERCE_CONFIG_TEST_A = from-file\n"
      "COMMERCE_CONFIG_TEST_B=only-in-file\n"
      "  COMMERCE_CONFIG_TEST_Q=\"quoted value\"\n"
      "COMMERCE_CONFIG_TEST_EQ=a=b\n");
  ScopedEnv cfg("CONFIG_FILE", file.path());
  ScopedEnv env("COMMERCE_CONFIG_TEST_A", "from-env");
  const auto c = Config::load();
  EXPECT_EQ(c.require("COMMERCE_CONFIG_TEST_A"), "from-env");
  EXPECT_EQ(c.require("COMMERCE_CONFIG_TEST_B"), "only-in-file");
  EXPECT_EQ(c.require("COMMERCE_CONFIG_TEST_Q"), "quoted value");
  EXPECT_EQ(c.require("COMMERCE_CONFIG_TEST_EQ"), "a=b");
}

TEST(Config, MalformedFileLineIsAnError) {
  TempFile file("GOOD=1\nthis line has no equals sign\n");
  ScopedEnv cfg("CONFIG_FILE", file.path());
  const auto message = error_of([] { Config::load(); });
  EXPECT_NE(message.find("line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("KEY=VALUE"), std::string::npos) << message;
}

TEST(Config, MissingFileIsAnError) {
  ScopedEnv cfg("CONFIG_FILE", "/nonexistent/commerce.env");
  EXPECT_EQ(error_of([] { Config::load(); }),
            "config: CONFIG_FILE \"/nonexistent/commerce.env\" cannot be read");
}
