// Blocking HTTP/1.1 client with a per-host pool of kept-alive connections.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "commerce/http/http.hpp"
#include "commerce/log/log.hpp"

namespace commerce::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Url {
  std::string host;
  std::string port;
  std::string target;
};

Url parse_url(const std::string& url) {
  constexpr std::string_view scheme = "http://";
  std::string_view rest = url;
  if (rest.substr(0, scheme.size()) != scheme) {
    throw std::runtime_error("unsupported URL (expected http://host:port/path): " + url);
  }
  rest.remove_prefix(scheme.size());
  auto cut = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, cut);
  Url out;
  std::string_view target = cut == std::string_view::npos ? "/" : rest.substr(cut);
  auto hash = target.find('#');
  if (hash != std::string_view::npos) target = target.substr(0, hash);
  out.target =
      target.empty() || target.front() != '/' ? "/" + std::string(target) : std::string(target);
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8080
    auto close = authority.find(']');
    if (close == std::string_view::npos) throw std::runtime_error("malformed URL host: " + url);
    out.host = std::string(authority.substr(1, close - 1));
    auto after = authority.substr(close + 1);
    if (!after.empty() && after.front() == ':') port = after.substr(1);
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) throw std::runtime_error("URL has no host: " + url);
  out.port = port.empty() ? "80" : std::string(port);
  return out;
}

// Each pooled connection owns its io_context, so a call runs its async operations (which is
// what gives tcp_stream timeouts) on the calling thread without sharing anything.
struct Connection {
  asio::io_context ioc{1};
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
};

// Runs one async operation to completion with the stream's deadline set.
template <class Start>
beast::error_code run(Connection& connection, Clock::time_point deadline, Start start) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  connection.stream.expires_after(std::max(left, std::chrono::milliseconds(0)));
  beast::error_code result = asio::error::would_block;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  connection.ioc.restart();
  connection.ioc.run();
  return result;
}

bool closed_by_peer(const beast::error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

}  // namespace

struct Client::Impl {
  ClientOptions options;
  std::mutex mutex;
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;

  std::unique_ptr<Connection> take(const std::string& key) {
    std::lock_guard lock(mutex);
    auto it = idle.find(key);
    if (it == idle.end() || it->second.empty()) return nullptr;
    auto connection = std::move(it->second.back());
    it->second.pop_back();
    return connection;
  }

  void give_back(const std::string& key, std::unique_ptr<Connection> connection) {
    std::lock_guard lock(mutex);
    auto& pool = idle[key];
    if (pool.size() < options.max_idle_per_host) pool.push_back(std::move(connection));
  }
};

Client::Client(ClientOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}

Client::~Client() = default;

Response Client::request(const std::string& method, const std::string& url, const std::string& body,
                         const Headers& headers) {
  const auto url_parts = parse_url(url);
  const auto key = url_parts.host + ":" + url_parts.port;
  const auto deadline = Clock::now() + impl_->options.timeout;
  auto fail = [&](const std::string& what, const beast::error_code& ec) -> std::runtime_error {
    if (ec == beast::error::timeout) {
      return std::runtime_error("http " + method + " " + url + ": timed out after " +
                                std::to_string(impl_->options.timeout.count()) + " ms (" + what +
                                ")");
    }
    return std::runtime_error("http " + method + " " + url + ": " + what +
                              " failed: " + ec.message());
  };

  bhttp::request<bhttp::string_body> message;
  message.version(11);
  auto verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown)
    message.method_string(method);
  else
    message.method(verb);
  message.target(url_parts.target);
  message.set(bhttp::field::host, key);
  for (const auto& [name, value] : headers.all()) message.set(name, value);
  // Calls made while serving a request or handling a message continue its trace.
  if (!headers.get("traceparent")) {
    if (auto traceparent = log::current_traceparent(); !traceparent.empty()) {
      message.set("traceparent", traceparent);
    }
  }
  if (!body.empty() && !headers.get("Content-Type")) {
    message.set(bhttp::field::content_type, "application/json");
  }
  message.body() = body;
  message.keep_alive(true);
  message.prepare_payload();

  auto connection = impl_->take(key);
  bool reused = connection != nullptr;
  for (;;) {
    if (!connection) {
      connection = std::make_unique<Connection>();
      beast::error_code ec;
      tcp::resolver resolver(connection->ioc);
      auto endpoints = resolver.resolve(url_parts.host, url_parts.port, ec);
      if (ec) throw fail("resolve", ec);
      ec = run(*connection, deadline,
               [&](auto handler) { connection->stream.async_connect(endpoints, handler); });
      if (ec) throw fail("connect", ec);
      connection->stream.socket().set_option(tcp::no_delay(true), ec);
    }

    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    parser.header_limit(64 * 1024);
    auto ec = run(*connection, deadline,
                  [&](auto handler) { bhttp::async_write(connection->stream, message, handler); });
    if (!ec) {
      ec = run(*connection, deadline, [&](auto handler) {
        bhttp::async_read(connection->stream, connection->buffer, parser, handler);
      });
    }
    if (ec) {
      // A kept-alive connection the server closed while it sat idle: nothing was processed,
      // so one retry on a fresh connection is safe. Anything else is the caller's failure.
      bool retry = reused && closed_by_peer(ec) && !parser.got_some();
      connection.reset();
      if (retry) {
        reused = false;
        continue;
      }
      throw fail("request", ec);
    }

    auto reply = parser.release();
    Response response;
    response.status = static_cast<int>(reply.result_int());
    for (const auto& field : reply) {
      response.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(reply.body());
    if (reply.keep_alive()) impl_->give_back(key, std::move(connection));
    return response;
  }
}

}  // namespace commerce::http
