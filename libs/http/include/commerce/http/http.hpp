#pragma once
// HTTP server and client. Beast and Asio stay inside this library's .cpp files so agents
// compile in seconds; everything here is plain standard C++.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace commerce::http {

// Header names are matched case-insensitively.
class Headers {
 public:
  void set(const std::string& name, std::string value);
  void add(const std::string& name, std::string value);
  std::optional<std::string> get(const std::string& name) const;
  const std::vector<std::pair<std::string, std::string>>& all() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

struct Request {
  std::string method;                         // "GET", "POST", ...
  std::string target;                         // path plus query, as received
  std::string path;                           // decoded path without the query
  std::map<std::string, std::string> query;   // decoded query parameters
  std::map<std::string, std::string> params;  // path parameters from the route pattern
  // The server replaces `traceparent` with one naming the span serving this request (a child
  // of the caller's), so what a handler passes on names it as parent.
  Headers headers;
  std::string body;
  std::string route;  // the matched pattern, e.g. "/v1/orders/{id}" (bounded label for metrics)

  std::string header(const std::string& name, const std::string& fallback = "") const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  static Response json(int status, const nlohmann::json& body);
  // {"error":{"code":code,"message":message}}
  static Response error(int status, const std::string& code, const std::string& message);
  static Response text(int status, std::string body, std::string content_type = "text/plain");
};

// Parses a JSON body; on failure returns a 400 invalid_json response in `error`.
std::optional<Response> parse_json(const Request& request, nlohmann::json& out);

using Handler = std::function<Response(const Request&)>;

// Routes by method and pattern; `{name}` matches one path segment into Request::params.
// An unknown path answers 404 not_found, a known path with another method 405 method_not_allowed.
class Router {
 public:
  void add(const std::string& method, const std::string& pattern, Handler handler);
  Response dispatch(Request& request) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;                            // 0: pick a free port; port() tells which
  std::size_t body_limit = 1024 * 1024;              // larger bodies: 413
  std::chrono::milliseconds request_timeout{10000};  // read and handle: 408/503
  std::chrono::milliseconds idle_timeout{60000};     // keep-alive connections
  int io_threads = 1;
  int worker_threads = 4;            // handlers run here, never on the io threads
  std::string thread_name = "http";  // threads are named <this>-io and <this>-work
  // Called after each response (metrics, access log). `route` is the matched pattern or "".
  std::function<void(const Request&, const Response&, std::chrono::nanoseconds)> on_response;
};

class Server {
 public:
  Server(Router router, ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  void start();  // binds and listens; throws std::runtime_error when it cannot bind
  void stop();   // stops accepting, lets in-flight requests finish, joins threads
  std::uint16_t port() const;

  // Observability and test hooks: connections accepted since start(), and those still open.
  std::size_t connections_accepted() const;
  std::size_t connections_open() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct ClientOptions {
  std::chrono::milliseconds timeout{10000};
  std::size_t max_idle_per_host = 16;  // kept-alive connections reused per host:port
};

// Blocking HTTP/1.1 client with connection reuse; safe to call from many threads.
// Network failures throw std::runtime_error; any HTTP status is a Response.
class Client {
 public:
  explicit Client(ClientOptions options = {});
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // url: http://host:port/path?query
  Response request(const std::string& method, const std::string& url, const std::string& body = "",
                   const Headers& headers = {});
  Response get(const std::string& url, const Headers& headers = {}) {
    return request("GET", url, "", headers);
  }
  Response post(const std::string& url, const std::string& body, const Headers& headers = {}) {
    return request("POST", url, body, headers);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commerce::http
