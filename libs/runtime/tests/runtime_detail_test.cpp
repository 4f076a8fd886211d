#include "../src/runtime_detail.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

using namespace commerce::runtime::detail;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST(WriteFileAtomically, WritesAndReplacesWithoutLeavingTemporaries) {
  const fs::path dir = fs::temp_directory_path() / ("runtime_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "ready.json";
  write_file_atomically(file.string(), "{\"a\":1}\n");
  EXPECT_EQ(read(file), "{\"a\":1}\n");
  write_file_atomically(file.string(), "second");
  EXPECT_EQ(read(file), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(WriteFileAtomically, FailureNamesThePath) {
  try {
    write_file_atomically("/nonexistent-dir/ready.json", "x");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/ready.json"), std::string::npos);
  }
}

TEST(Labels, AreBounded) {
  EXPECT_EQ(method_label("GET"), "GET");
  EXPECT_EQ(method_label("POST"), "POST");
  EXPECT_EQ(method_label("BREW"), "other");
  EXPECT_EQ(method_label("get"), "other");
  EXPECT_EQ(route_label(""), "unmatched");
  EXPECT_EQ(route_label("/v1/orders/{id}"), "/v1/orders/{id}");
}

TEST(HttpMetrics, CountsAndTimesPerRoute) {
  commerce::metrics::Registry r;
  HttpMetrics m(r);
  m.record("/v1/orders/{id}", "GET", 200, 0.002);
  m.record("/v1/orders/{id}", "GET", 200, 0.2);
  m.record("", "PROPFIND", 404, 0.0001);
  const auto text = r.render();
  EXPECT_NE(
      text.find("http_requests_total{route=\"/v1/orders/{id}\",method=\"GET\",status=\"200\"} 2\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("http_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1\n"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find(
          "http_request_duration_seconds_count{route=\"/v1/orders/{id}\",method=\"GET\"} 2\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("http_request_duration_seconds_bucket{route=\"/v1/orders/"
                      "{id}\",method=\"GET\",le=\"0.0025\"} 1\n"),
            std::string::npos)
      << text;
}

TEST(Readiness, AllPassingIs200) {
  const auto res = readiness_response({{"postgres", true}, {"kafka", true}});
  EXPECT_EQ(res.status, 200);
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["checks"]["postgres"], true);
  EXPECT_EQ(body["checks"]["kafka"], true);
}

TEST(Readiness, FailuresAre503NamingEachFailedCheck) {
  const auto res =
      readiness_response({{"postgres", false}, {"kafka", true}, {"reservations", false}});
  EXPECT_EQ(res.status, 503);
  const auto body = nlohmann::json::parse(res.body);
  EXPECT_EQ(body["error"]["code"], "not_ready");
  EXPECT_EQ(body["error"]["message"], "not ready: postgres, reservations");
  EXPECT_EQ(body["checks"]["kafka"], true);
  EXPECT_EQ(body["checks"]["postgres"], false);
}

TEST(InstanceId, IsHostnameDashPid) {
  const auto id = default_instance_id();
  const std::string suffix = "-" + std::to_string(::getpid());
  ASSERT_GT(id.size(), suffix.size());
  EXPECT_EQ(id.substr(id.size() - suffix.size()), suffix);
}
