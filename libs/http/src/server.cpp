// Beast HTTP/1.1 server: accept and connection I/O on io threads, handlers on a worker pool.
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "commerce/core/thread_name.hpp"
#include "commerce/core/traceparent.hpp"
#include "commerce/http/http.hpp"
#include "commerce/log/log.hpp"

namespace commerce::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t kHeaderLimit = 16 * 1024;
constexpr std::size_t kMaxRequestIdLength = 128;
constexpr auto kStopGrace = std::chrono::seconds(5);
constexpr auto kMaxDrain = std::chrono::milliseconds(1000);

std::string random_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char text[33];
  std::snprintf(text, sizeof text, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return text;
}

// A caller's id is echoed only when it is short and printable, so it is safe in logs.
bool usable_request_id(const std::string& id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (unsigned char c : id) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

bool is_http_syntax_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

class Connection;

struct ServerCore {
  ServerCore(Router r, ServerOptions o)
      : router(std::move(r)),
        options(std::move(o)),
        ioc(std::max(1, options.io_threads)),
        acceptor(asio::make_strand(ioc)) {}

  void add(const std::shared_ptr<Connection>& connection);
  void remove(Connection* connection);
  void start();
  void stop();
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  // Asks every open connection to close: idle ones (or all, when `force`) at once.
  void shutdown_connections(bool force);
  bool wait_connections_closed(std::chrono::milliseconds timeout);

  // Declared first so it outlives the io_context: connections unregister from their
  // destructors, which may run while the io_context destroys its pending handlers.
  mutable std::mutex mutex;
  std::condition_variable closed;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  std::atomic<std::size_t> accepted{0};
  std::atomic<bool> stopping{false};
  bool started = false;
  bool stopped = false;
  std::uint16_t port = 0;

  Router router;
  ServerOptions options;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  std::unique_ptr<asio::thread_pool> workers;
  std::vector<std::thread> io_threads;
};

// One client connection. All members are touched only on the connection's strand, except
// `core_` and the executor, which are safe from any thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerCore& core, tcp::socket socket)
      : core_(core), stream_(std::move(socket)), deadline_(stream_.get_executor()) {}

  ~Connection() { core_.remove(this); }

  void start() {
    asio::dispatch(stream_.get_executor(),
                   [self = shared_from_this()] { self->wait_for_request(); });
  }

  void shutdown(bool force) {
    asio::post(stream_.get_executor(), [self = shared_from_this(), force] {
      if (force || self->state_ == State::idle || self->state_ == State::closing) self->close();
    });
  }

 private:
  enum class State { idle, reading, handling, writing, closing, closed };

  void wait_for_request() {
    if (core_.stopping) return close();
    state_ = State::idle;
    parser_.emplace();
    parser_->body_limit(core_.options.body_limit);
    parser_->header_limit(kHeaderLimit);
    timed_out_ = false;
    // Pipelined bytes already buffered: the next request has begun.
    if (buffer_.size() > 0) return read_header();
    // Idle keep-alive wait; the stream's own timeout closes the socket, which is what we want.
    stream_.expires_after(core_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, std::size_t n) {
                              if (ec || self->state_ != State::idle) return self->close();
                              self->buffer_.commit(n);
                              self->read_header();
                            });
  }

  void read_header() {
    state_ = State::reading;
    request_started_ = Clock::now();
    // The request deadline has its own timer so a slow request can still be told 408.
    stream_.expires_never();
    arm_deadline(core_.options.request_timeout);
    bhttp::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    auto& header = parser_->get();
    if (beast::iequals(header[bhttp::field::expect], "100-continue")) {
      auto interim = std::make_shared<bhttp::response<bhttp::empty_body>>(bhttp::status::continue_,
                                                                          header.version());
      return bhttp::async_write(
          stream_, *interim,
          [self = shared_from_this(), interim](beast::error_code ec, std::size_t) {
            if (ec) return self->on_read_error(ec);
            self->read_body();
          });
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_request();
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->on_read_error(ec);
                        self->on_request();
                      });
  }

  void on_read_error(beast::error_code ec) {
    if (state_ != State::reading) return close();
    if (timed_out_) {
      return reply_and_close(408, "request_timeout", "the request was not received in time");
    }
    if (ec == bhttp::error::body_limit) {
      return reply_and_close(
          413, "payload_too_large",
          "request body exceeds " + std::to_string(core_.options.body_limit) + " bytes");
    }
    if (ec == bhttp::error::header_limit) {
      return reply_and_close(431, "headers_too_large", "request headers are too large");
    }
    // The peer went away mid-request: nobody to answer.
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == asio::error::eof || !is_http_syntax_error(ec)) {
      return close();
    }
    reply_and_close(400, "bad_request", "malformed HTTP request: " + ec.message());
  }

  void on_request() {
    deadline_gen_++;
    deadline_.cancel();
    state_ = State::handling;
    auto message = parser_->release();
    Request request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    request.body = std::move(message.body());
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    auto id = request.headers.get("X-Request-Id");
    request_id_ = id && usable_request_id(*id) ? *id : random_request_id();
    request.headers.set("X-Request-Id", request_id_);

    auto seq = ++seq_;
    arm_deadline(core_.options.request_timeout);
    auto started = request_started_;
    asio::post(*core_.workers, [self = shared_from_this(), request = std::move(request), seq,
                                started]() mutable {
      // Each request served is a span: a child of the caller's traceparent, or a fresh trace.
      // Handlers see (and pass downstream) the traceparent naming this span as parent, and every
      // line logged while handling carries its trace and span ids.
      const auto incoming = core::TraceParent::parse(request.header("traceparent"));
      const auto span = incoming ? incoming->child() : core::TraceParent::fresh();
      request.headers.set("traceparent", span.to_string());
      log::ScopedContext trace_scope(
          log::Context{"", "", "", span.trace_id, span.span_id, incoming ? incoming->span_id : ""});
      Response response;
      try {
        response = self->core_.router.dispatch(request);
      } catch (...) {
        response = Response::error(500, "internal", "internal error while handling the request");
      }
      response.headers.set("X-Request-Id", request.header("X-Request-Id"));
      response.headers.set("traceparent", span.to_string());
      self->report(request, response, started);
      asio::post(self->stream_.get_executor(),
                 [self, seq, response = std::move(response)]() mutable {
                   self->on_handled(seq, std::move(response));
                 });
    });
  }

  void report(const Request& request, const Response& response, Clock::time_point started) const {
    if (!core_.options.on_response) return;
    try {
      core_.options.on_response(request, response, Clock::now() - started);
    } catch (...) {
      // Metrics or logging must never break serving.
    }
  }

  void on_handled(std::uint64_t seq, Response response) {
    // Late result of a handler whose request already got a 503 (or whose connection closed).
    if (state_ != State::handling || seq != seq_) return;
    deadline_gen_++;
    deadline_.cancel();
    write(std::move(response), keep_alive_ && !core_.stopping);
  }

  void arm_deadline(std::chrono::milliseconds timeout) {
    auto gen = ++deadline_gen_;
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = shared_from_this(), gen](beast::error_code ec) {
      if (ec || gen != self->deadline_gen_) return;
      self->on_deadline();
    });
  }

  void on_deadline() {
    if (state_ == State::reading) {
      // Cancelling makes the pending read fail; on_read_error then answers 408.
      timed_out_ = true;
      beast::error_code ignored;
      stream_.socket().cancel(ignored);
    } else if (state_ == State::handling) {
      ++seq_;  // drop the handler's late result
      Request request;
      request.headers.set("X-Request-Id", request_id_);
      auto response = Response::error(503, "timeout", "the request was not handled in time");
      response.headers.set("X-Request-Id", request_id_);
      report(request, response, request_started_);
      write(std::move(response), false);
    }
  }

  void reply_and_close(int status, const std::string& code, const std::string& message) {
    deadline_gen_++;
    deadline_.cancel();
    Request request;
    if (parser_ && parser_->is_header_done()) {
      const auto& header = parser_->get();
      request.method = std::string(header.method_string());
      request.target = std::string(header.target());
      auto given = std::string(header["X-Request-Id"]);
      request_id_ = usable_request_id(given) ? given : random_request_id();
    } else {
      request_id_ = random_request_id();
    }
    version_ = 11;
    request.headers.set("X-Request-Id", request_id_);
    auto response = Response::error(status, code, message);
    response.headers.set("X-Request-Id", request_id_);
    report(request, response, request_started_);
    write(std::move(response), false);
  }

  void write(Response response, bool keep_alive) {
    state_ = State::writing;
    auto status = response.status >= 100 && response.status <= 999 ? response.status : 500;
    auto message = std::make_shared<bhttp::response<bhttp::string_body>>();
    message->version(version_ == 10 ? 10 : 11);
    message->result(static_cast<unsigned>(status));
    for (const auto& [name, value] : response.headers.all()) {
      // Framing headers are ours to set.
      if (beast::iequals(name, "Content-Length") || beast::iequals(name, "Connection") ||
          beast::iequals(name, "Transfer-Encoding")) {
        continue;
      }
      message->insert(name, value);
    }
    message->body() = std::move(response.body);
    message->keep_alive(keep_alive);
    message->prepare_payload();
    stream_.expires_after(core_.options.request_timeout);
    bhttp::async_write(
        stream_, *message,
        [self = shared_from_this(), message, keep_alive](beast::error_code ec, std::size_t) {
          if (ec || self->state_ != State::writing) return self->close();
          if (!keep_alive || self->core_.stopping) {
            return self->graceful_close(self->parser_ && !self->parser_->is_done());
          }
          self->wait_for_request();
        });
  }

  // Half-close, then drain what the client still sends, so closing with unread data does not
  // reset the connection before the client has read our response. A connection whose request
  // was read completely and has nothing pending closes at once (no reset is possible).
  void graceful_close(bool request_unfinished) {
    state_ = State::closing;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (!request_unfinished && buffer_.size() == 0 && stream_.socket().available(ignored) == 0) {
      return close();
    }
    stream_.expires_after(
        std::min<std::chrono::milliseconds>(core_.options.request_timeout, kMaxDrain));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(drain_buffer_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->state_ != State::closing) return self->close();
                              self->drain();
                            });
  }

  void close() {
    if (state_ == State::closed) return;
    state_ = State::closed;
    deadline_gen_++;
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  ServerCore& core_;
  beast::tcp_stream stream_;
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  State state_ = State::idle;
  bool keep_alive_ = true;
  bool timed_out_ = false;
  unsigned version_ = 11;
  std::uint64_t seq_ = 0;
  std::uint64_t deadline_gen_ = 0;
  std::string request_id_;
  Clock::time_point request_started_ = Clock::now();
  std::array<char, 4096> drain_buffer_{};
};

void ServerCore::add(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(mutex);
  connections.emplace(connection.get(), connection);
}

void ServerCore::remove(Connection* connection) {
  std::lock_guard lock(mutex);
  connections.erase(connection);
  if (connections.empty()) closed.notify_all();
}

void ServerCore::start() {
  if (started) throw std::logic_error("http server already started");
  const auto where = options.host + ":" + std::to_string(options.port);
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(options.host, std::to_string(options.port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("http server cannot resolve " + where + ": " + ec.message());
  }
  auto endpoint = results.begin()->endpoint();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    acceptor.close(ignored);
    throw std::runtime_error("http server cannot listen on " + where + ": " + ec.message());
  }
  port = acceptor.local_endpoint().port();
  started = true;
  {
    // The pool's threads take the name of the thread that creates them.
    core::ScopedThreadName name(options.thread_name + "-work");
    workers = std::make_unique<asio::thread_pool>(std::max(1, options.worker_threads));
  }
  do_accept();
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    io_threads.emplace_back([this] {
      core::name_this_thread(options.thread_name + "-io");
      ioc.run();
    });
  }
}

void ServerCore::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void ServerCore::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (!ec) {
    if (stopping) {
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    ++accepted;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small responses must not wait on Nagle
    auto connection = std::make_shared<Connection>(*this, std::move(socket));
    add(connection);
    connection->start();
  }
  do_accept();
}

void ServerCore::shutdown_connections(bool force) {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex);
    for (auto& [raw, weak] : connections) {
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
  }
  for (auto& connection : open) connection->shutdown(force);
}

bool ServerCore::wait_connections_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex);
  return closed.wait_for(lock, timeout, [this] { return connections.empty(); });
}

void ServerCore::stop() {
  if (!started || stopped) return;
  stopped = true;
  stopping = true;
  asio::post(acceptor.get_executor(), [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  // Idle connections close now; busy ones answer with Connection: close and then close.
  shutdown_connections(false);
  if (!wait_connections_closed(kStopGrace)) {
    shutdown_connections(true);
    wait_connections_closed(std::chrono::milliseconds(1000));
  }
  ioc.stop();
  for (auto& thread : io_threads) thread.join();
  io_threads.clear();
  workers->join();
}

}  // namespace

struct Server::Impl : ServerCore {
  using ServerCore::ServerCore;
};

Server::Server(Router router, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(router), std::move(options))) {}

Server::~Server() { impl_->stop(); }

void Server::start() { impl_->start(); }

void Server::stop() { impl_->stop(); }

std::uint16_t Server::port() const { return impl_->port; }

std::size_t Server::connections_accepted() const { return impl_->accepted; }

std::size_t Server::connections_open() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->connections.size();
}

}  // namespace commerce::http
