#pragma once
// Pieces of the runtime that need no infrastructure, kept apart so unit tests can reach them.
#include <chrono>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "commerce/http/http.hpp"
#include "commerce/metrics/registry.hpp"
#include "commerce/store/store.hpp"

namespace commerce::runtime::detail {

// Writes `content` to a temporary file beside `path` and renames it over `path`, so a reader
// sees either nothing or the whole file. Throws std::runtime_error on failure.
void write_file_atomically(const std::string& path, const std::string& content);

// A method label with bounded cardinality: the usual verbs, anything else "other".
std::string method_label(const std::string& method);
// The route label: the matched pattern, or "unmatched".
std::string route_label(const std::string& route);

// http_requests_total{route,method,status} and http_request_duration_seconds{route,method},
// registered once and recorded per response (safe from any thread).
class HttpMetrics {
 public:
  explicit HttpMetrics(metrics::Registry& registry);
  void record(const std::string& route, const std::string& method, int status, double seconds);

 private:
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& durations_;
};

// outbox_backlog_rows and outbox_oldest_age_seconds, read through the pool at every scrape (not
// by the relay, which reads nothing while it retries an unreachable broker: exactly when the
// backlog matters). Standby instances report as well.
void collect_outbox_backlog(metrics::Registry& registry, store::ConnectionPool& pool);

// How long handled message ids stay in the inbox, and how often the old ones are forgotten.
struct InboxRetention {
  std::chrono::hours keep{24 * 14};  // twice the topics' 7 days (deploy/topics.json)
  std::chrono::milliseconds every{std::chrono::minutes(10)};
  std::size_t batch = 10000;  // ids per statement: short transactions, short locks
};

// Until `stop`: now and then every `every`, forgets inbox ids older than `keep`, a batch per
// transaction until none is left; counts them in inbox_pruned_total. A failure (the database
// away) is logged and tried again next time.
void keep_inbox_within_retention(std::stop_token stop, store::ConnectionPool& pool,
                                 metrics::Registry& registry, const InboxRetention& retention);

// /readyz body from named check results: 200 {"status":"ready","checks":{...}} or
// 503 {"error":{"code":"not_ready","message":"not ready: a, b"},"checks":{...}}.
http::Response readiness_response(const std::vector<std::pair<std::string, bool>>& checks);

// "<hostname>-<pid>"
std::string default_instance_id();

}  // namespace commerce::runtime::detail
