#include "runtime_detail.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "commerce/log/log.hpp"
#include "commerce/runtime/periodic.hpp"

namespace commerce::runtime::detail {

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  auto fail = [&](const std::string& what) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot " + what + " " + path + ": " + reason);
  };
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) fail("write");
  const bool written = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const bool flushed = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
  if (std::fclose(f) != 0 || !written || !flushed) fail("write");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("rename onto");
}

std::string method_label(const std::string& method) {
  static const char* kKnown[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  for (const char* m : kKnown) {
    if (method == m) return method;
  }
  return "other";
}

std::string route_label(const std::string& route) { return route.empty() ? "unmatched" : route; }

HttpMetrics::HttpMetrics(metrics::Registry& registry)
    : requests_(registry.counter("http_requests_total", "HTTP requests answered",
                                 {"route", "method", "status"})),
      durations_(registry.histogram("http_request_duration_seconds",
                                    "Time to answer an HTTP request", {"route", "method"})) {}

void HttpMetrics::record(const std::string& route, const std::string& method, int status,
                         double seconds) {
  const std::string r = route_label(route);
  const std::string m = method_label(method);
  requests_.with({r, m, std::to_string(status)}).inc();
  durations_.with({r, m}).observe(seconds);
}

void collect_outbox_backlog(metrics::Registry& registry, store::ConnectionPool& pool) {
  auto& rows = registry.gauge("outbox_backlog_rows", "Outbox rows waiting to be published").with();
  auto& age =
      registry.gauge("outbox_oldest_age_seconds", "Age of the oldest unpublished outbox row")
          .with();
  registry.on_collect([&rows, &age, &pool] {
    try {
      pool.read([&](pqxx::work& tx) {
        const auto backlog = store::read_outbox_backlog(tx);
        rows.set(static_cast<double>(backlog.rows));
        age.set(backlog.oldest_age_seconds);
      });
    } catch (const std::exception&) {
      // Database unreachable or not migrated yet: keep the last values; /readyz says why.
    }
  });
}

void keep_inbox_within_retention(std::stop_token stop, store::ConnectionPool& pool,
                                 metrics::Registry& registry, const InboxRetention& retention) {
  auto& pruned = registry
                     .counter("inbox_pruned_total",
                              "Handled message ids forgotten after the inbox retention period")
                     .with();
  const auto keep = std::chrono::duration_cast<std::chrono::seconds>(retention.keep);
  repeat_every(stop, retention.every, "inbox pruning", [&] {
    std::size_t n = 0;
    pool.transact([&](pqxx::work& tx) { n = store::prune_inbox(tx, keep, retention.batch); });
    pruned.inc(static_cast<double>(n));
    if (n > 0) log::info("inbox ids forgotten", {{"rows", std::to_string(n)}});
    return n == retention.batch;  // a full batch: more may be waiting
  });
}

http::Response readiness_response(const std::vector<std::pair<std::string, bool>>& checks) {
  nlohmann::json results = nlohmann::json::object();
  std::string failed;
  for (const auto& [name, ok] : checks) {
    results[name] = ok;
    if (!ok) failed += (failed.empty() ? "" : ", ") + name;
  }
  if (failed.empty()) {
    return http::Response::json(200, {{"status", "ready"}, {"checks", results}});
  }
  return http::Response::json(
      503, {{"error", {{"code", "not_ready"}, {"message", "not ready: " + failed}}},
            {"checks", results}});
}

std::string default_instance_id() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
    std::strcpy(host, "localhost");
  }
  return std::string(host) + "-" + std::to_string(::getpid());
}

}  // namespace commerce::runtime::detail
