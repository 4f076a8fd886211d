#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "commerce/http/http.hpp"
#include "commerce/log/log.hpp"

using commerce::http::Client;
using commerce::http::ClientOptions;
using commerce::http::Headers;
using commerce::http::Request;
using commerce::http::Response;
using commerce::http::Router;
using commerce::http::Server;
using commerce::http::ServerOptions;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// A plain POSIX socket, for what a well-behaved client never does (half requests, garbage).
class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect failed");
    }
  }
  ~RawSocket() { ::close(fd_); }

  void send(const std::string& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
  }

  // Reads until the peer closes or `limit` passes; `closed` says which.
  std::string read_until_closed(std::chrono::milliseconds limit, bool& closed) {
    std::string out;
    closed = false;
    auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<long>(left.count(), 1))) <= 0) continue;
      char buffer[4096];
      auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
};

std::string base(const Server& server) {
  return "http://127.0.0.1:" + std::to_string(server.port());
}

template <class Predicate>
bool eventually(Predicate predicate, std::chrono::milliseconds limit = 5s) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return predicate();
}

Router echo_router() {
  Router router;
  router.add("GET", "/v1/orders/{id}", [](const Request& r) {
    return Response::json(200, {{"id", r.params.at("id")}, {"q", r.query}});
  });
  router.add("POST", "/v1/orders", [](const Request& r) {
    json body;
    if (auto error = commerce::http::parse_json(r, body)) return *error;
    return Response::json(201, {{"received", body}});
  });
  router.add("GET", "/v1/boom",
             [](const Request&) -> Response { throw std::runtime_error("boom"); });
  router.add("GET", "/v1/echo/{n}",
             [](const Request& r) { return Response::text(200, r.params.at("n")); });
  return router;
}

ServerOptions quick_options() {
  ServerOptions options;
  options.request_timeout = 2000ms;
  options.idle_timeout = 5000ms;
  return options;
}

}  // namespace

TEST(Server, ServesRoutesOverTheWire) {
  Server server(echo_router(), quick_options());
  server.start();
  ASSERT_NE(server.port(), 0);
  Client client;

  auto ok = client.get(base(server) + "/v1/orders/a%20b?x=1");
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(ok.headers.get("content-type"), "application/json");
  auto body = json::parse(ok.body);
  EXPECT_EQ(body["id"], "a b");
  EXPECT_EQ(body["q"]["x"], "1");
  auto id = ok.headers.get("X-Request-Id");
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->size(), 32u);

  Headers headers;
  headers.set("X-Request-Id", "req-123");
  EXPECT_EQ(client.get(base(server) + "/v1/orders/1", headers).headers.get("x-request-id"),
            "req-123");

  auto missing = client.get(base(server) + "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["error"]["code"], "not_found");

  auto wrong = client.request("DELETE", base(server) + "/v1/orders/1");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(json::parse(wrong.body)["error"]["code"], "method_not_allowed");
  EXPECT_EQ(wrong.headers.get("Allow"), "GET");

  auto created = client.post(base(server) + "/v1/orders", R"({"sku":"A"})");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(json::parse(created.body)["received"]["sku"], "A");
}

TEST(Server, MalformedJsonIs400) {
  Server server(echo_router(), quick_options());
  server.start();
  Client client;
  auto response = client.post(base(server) + "/v1/orders", "{not json");
  EXPECT_EQ(response.status, 400);
  auto body = json::parse(response.body);
  EXPECT_EQ(body["error"]["code"], "invalid_json");
  EXPECT_TRUE(body["error"]["message"].is_string());
}

TEST(Server, BodyOverLimitIs413AndServerKeepsServing) {
  auto options = quick_options();
  options.body_limit = 1024;
  Server server(echo_router(), options);
  server.start();
  Client client;
  auto at_limit = client.post(base(server) + "/v1/orders", "\"" + std::string(1022, 'a') + "\"");
  EXPECT_EQ(at_limit.status, 201);

  auto response = client.post(base(server) + "/v1/orders", std::string(4096, 'x'));
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "payload_too_large");
  EXPECT_EQ(client.get(base(server) + "/v1/orders/1").status, 200);
}

TEST(Server, MalformedHttpIs400AndCloses) {
  Server server(echo_router(), quick_options());
  server.start();
  RawSocket socket(server.port());
  socket.send("THIS IS NOT HTTP\r\n\r\n");
  bool closed = false;
  auto reply = socket.read_until_closed(3s, closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_NE(reply.find("\"bad_request\""), std::string::npos);
}

TEST(Server, ExpectContinueGetsInterimResponse) {
  Server server(echo_router(), quick_options());
  server.start();
  RawSocket socket(server.port());
  socket.send(
      "POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n"
      "Expect: 100-continue\r\nConnection: close\r\n\r\n");
  bool closed = false;
  auto interim = socket.read_until_closed(300ms, closed);
  ASSERT_FALSE(closed);
  EXPECT_EQ(interim.rfind("HTTP/1.1 100 Continue", 0), 0u) << interim;
  socket.send("{\"a\":1}");
  auto reply = socket.read_until_closed(3s, closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(reply.rfind("HTTP/1.1 201", 0), 0u) << reply;
}

TEST(Server, KeepAliveReusesOneConnection) {
  Server server(echo_router(), quick_options());
  server.start();
  Client client;
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(client.get(base(server) + "/v1/echo/" + std::to_string(i)).body, std::to_string(i));
  }
  EXPECT_EQ(server.connections_accepted(), 1u);
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  Server server(echo_router(), quick_options());
  server.start();
  RawSocket socket(server.port());
  socket.send(
      "GET /v1/echo/first HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /v1/echo/second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  bool closed = false;
  auto reply = socket.read_until_closed(3s, closed);
  EXPECT_TRUE(closed);
  auto first = reply.find("first");
  auto second = reply.find("second");
  ASSERT_NE(first, std::string::npos) << reply;
  ASSERT_NE(second, std::string::npos) << reply;
  EXPECT_LT(first, second);
}

TEST(Server, ConcurrentRequestsFromManyThreadsAllSucceed) {
  auto options = quick_options();
  options.io_threads = 2;
  options.worker_threads = 4;
  Server server(echo_router(), options);
  server.start();
  Client client;
  std::atomic<int> ok{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto n = std::to_string(t * 1000 + i);
        try {
          auto response = client.get(base(server) + "/v1/echo/" + n);
          (response.status == 200 && response.body == n ? ok : failed)++;
        } catch (const std::exception&) {
          failed++;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 1600);
  EXPECT_EQ(failed.load(), 0);
  // Eight callers never need more than eight kept-alive connections.
  EXPECT_LE(server.connections_accepted(), 8u);
}

TEST(Server, HalfSentRequestIsClosedWithinTheTimeout) {
  auto options = quick_options();
  options.request_timeout = 300ms;
  Server server(echo_router(), options);
  server.start();
  RawSocket socket(server.port());
  auto started = Clock::now();
  socket.send("POST /v1/orders HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\"");
  bool closed = false;
  auto reply = socket.read_until_closed(5s, closed);
  auto elapsed = Clock::now() - started;
  EXPECT_TRUE(closed);
  EXPECT_GE(elapsed, 250ms);
  EXPECT_LT(elapsed, 2s);
  EXPECT_EQ(reply.rfind("HTTP/1.1 408", 0), 0u) << reply;
}

TEST(Server, IdleKeepAliveConnectionIsClosed) {
  auto options = quick_options();
  options.idle_timeout = 200ms;
  Server server(echo_router(), options);
  server.start();
  RawSocket socket(server.port());
  auto started = Clock::now();
  bool closed = false;
  socket.read_until_closed(5s, closed);
  EXPECT_TRUE(closed);
  EXPECT_GE(Clock::now() - started, 150ms);
  EXPECT_TRUE(eventually([&] { return server.connections_open() == 0; }));
}

TEST(Server, ThrowingHandlerIs500AndServerKeepsServing) {
  Server server(echo_router(), quick_options());
  server.start();
  Client client;
  for (int i = 0; i < 3; ++i) {
    auto response = client.get(base(server) + "/v1/boom");
    EXPECT_EQ(response.status, 500);
    EXPECT_EQ(json::parse(response.body)["error"]["code"], "internal");
    EXPECT_EQ(client.get(base(server) + "/v1/echo/ok").body, "ok");
  }
}

TEST(Server, BlockedHandlerDoesNotStallOtherConnections) {
  std::promise<void> release;
  auto released = release.get_future().share();
  Router router = echo_router();
  router.add("GET", "/v1/slow", [released](const Request&) {
    released.wait_for(10s);
    return Response::text(200, "slow");
  });
  auto options = quick_options();
  options.io_threads = 1;
  options.worker_threads = 3;
  Server server(std::move(router), options);
  server.start();
  Client client;
  auto slow = std::async(std::launch::async, [&] { return client.get(base(server) + "/v1/slow"); });
  // A second handler stays blocked after its caller gave up.
  Client impatient(ClientOptions{.timeout = 200ms});
  EXPECT_THROW(impatient.get(base(server) + "/v1/slow"), std::runtime_error);
  // The io thread and a worker are free, so another request is served meanwhile.
  EXPECT_EQ(impatient.get(base(server) + "/v1/echo/fast").body, "fast");
  release.set_value();
  EXPECT_EQ(slow.get().body, "slow");
}

TEST(Server, SlowHandlerGets503AtRequestTimeout) {
  std::promise<void> release;
  auto released = release.get_future().share();
  Router router;
  router.add("GET", "/v1/slow", [released](const Request&) {
    released.wait_for(10s);
    return Response::text(200, "late");
  });
  auto options = quick_options();
  options.request_timeout = 200ms;
  Server server(std::move(router), options);
  server.start();
  Client client;
  auto response = client.get(base(server) + "/v1/slow");
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "timeout");
  release.set_value();
}

TEST(Server, OnResponseSeesRouteStatusAndDuration) {
  std::mutex mutex;
  std::vector<std::tuple<std::string, int, std::chrono::nanoseconds>> seen;
  auto options = quick_options();
  options.on_response = [&](const Request& request, const Response& response,
                            std::chrono::nanoseconds took) {
    std::lock_guard lock(mutex);
    seen.emplace_back(request.route, response.status, took);
  };
  Server server(echo_router(), options);
  server.start();
  Client client;
  client.get(base(server) + "/v1/orders/5");
  client.get(base(server) + "/missing");
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return seen.size() == 2;
  }));
  std::lock_guard lock(mutex);
  EXPECT_EQ(std::get<0>(seen[0]), "/v1/orders/{id}");
  EXPECT_EQ(std::get<1>(seen[0]), 200);
  EXPECT_GT(std::get<2>(seen[0]).count(), 0);
  EXPECT_EQ(std::get<0>(seen[1]), "");
  EXPECT_EQ(std::get<1>(seen[1]), 404);
}

TEST(Server, StopFinishesInFlightRequests) {
  std::promise<void> entered;
  std::atomic<bool> entered_once{false};
  Router router;
  router.add("GET", "/v1/work", [&](const Request&) {
    if (!entered_once.exchange(true)) entered.set_value();
    std::this_thread::sleep_for(300ms);  // the work that stop() must wait for
    return Response::text(200, "done");
  });
  Server server(std::move(router), quick_options());
  server.start();
  auto url = base(server) + "/v1/work";
  Client client;
  auto in_flight = std::async(std::launch::async, [&] { return client.get(url); });
  ASSERT_EQ(entered.get_future().wait_for(5s), std::future_status::ready);
  server.stop();
  auto response = in_flight.get();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "done");
  EXPECT_EQ(response.headers.get("Connection"), "close");
  EXPECT_THROW(client.get(url), std::runtime_error);
}

TEST(Server, StopClosesIdleConnectionsPromptly) {
  Server server(echo_router(), quick_options());
  server.start();
  Client client;
  ASSERT_EQ(client.get(base(server) + "/v1/echo/1").status, 200);
  ASSERT_EQ(server.connections_open(), 1u);
  auto started = Clock::now();
  server.stop();
  EXPECT_LT(Clock::now() - started, 2s);
  EXPECT_EQ(server.connections_open(), 0u);
}

TEST(Server, StartNamesTheAddressWhenThePortIsTaken) {
  Server first(echo_router(), quick_options());
  first.start();
  auto options = quick_options();
  options.port = first.port();
  Server second(echo_router(), options);
  try {
    second.start();
    FAIL() << "second bind should fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())),
              std::string::npos)
        << e.what();
  }
}

TEST(Server, DestructibleWithoutStop) {
  { Server never_started(echo_router(), quick_options()); }
  Client client;
  {
    Server server(echo_router(), quick_options());
    server.start();
    EXPECT_EQ(client.get(base(server) + "/v1/echo/x").status, 200);
  }
  SUCCEED();
}

TEST(Client, RetriesOnceWhenTheServerClosedAnIdleConnection) {
  auto options = quick_options();
  options.idle_timeout = 100ms;
  Server server(echo_router(), options);
  server.start();
  Client client;
  ASSERT_EQ(client.get(base(server) + "/v1/echo/1").status, 200);
  ASSERT_TRUE(eventually([&] { return server.connections_open() == 0; }));
  auto again = client.get(base(server) + "/v1/echo/2");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, "2");
  EXPECT_EQ(server.connections_accepted(), 2u);
}

TEST(Client, TimesOutWithoutRetrying) {
  std::promise<void> release;
  auto released = release.get_future().share();
  std::atomic<int> calls{0};
  Router router;
  router.add("POST", "/v1/slow", [&, released](const Request&) {
    ++calls;
    released.wait_for(10s);
    return Response::text(200, "late");
  });
  Server server(std::move(router), quick_options());
  server.start();
  ClientOptions client_options;
  client_options.timeout = 200ms;
  Client client(client_options);
  auto started = Clock::now();
  EXPECT_THROW(client.post(base(server) + "/v1/slow", "{}"), std::runtime_error);
  EXPECT_LT(Clock::now() - started, 1500ms);
  release.set_value();
  EXPECT_EQ(calls.load(), 1);
}

TEST(Client, ConnectionRefusedAndBadUrlsThrow) {
  Client client;
  std::uint16_t port;
  {
    Server server(echo_router(), quick_options());
    server.start();
    port = server.port();
  }
  EXPECT_THROW(client.get("http://127.0.0.1:" + std::to_string(port) + "/"), std::runtime_error);
  EXPECT_THROW(client.get("https://127.0.0.1/"), std::runtime_error);
  EXPECT_THROW(client.get("http:///path"), std::runtime_error);
}

TEST(Trace, EachRequestIsASpanAndOutgoingCallsNameItAsParent) {
  // downstream reports the traceparent its handler sees and the context it ran in.
  Router downstream_router;
  downstream_router.add("GET", "/seen", [](const Request& r) {
    const auto& c = commerce::log::current_context();
    return Response::json(200, {{"received", r.header("traceparent")},
                                {"trace_id", c.trace_id},
                                {"span_id", c.span_id},
                                {"parent_span_id", c.parent_span_id}});
  });
  Server downstream(std::move(downstream_router), quick_options());
  downstream.start();
  Client downstream_client;
  const std::string downstream_url = base(downstream) + "/seen";

  // front calls downstream with no traceparent of its own: the client adds the current one.
  Router front_router;
  front_router.add("GET", "/front", [&](const Request& r) {
    const auto& c = commerce::log::current_context();
    auto seen = json::parse(downstream_client.get(downstream_url).body);
    return Response::json(200, {{"header", r.header("traceparent")},
                                {"trace_id", c.trace_id},
                                {"span_id", c.span_id},
                                {"parent_span_id", c.parent_span_id},
                                {"downstream", seen}});
  });
  Server front(std::move(front_router), quick_options());
  front.start();
  Client client;

  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  Headers headers;
  headers.set("traceparent", "00-" + trace + "-00f067aa0ba902b7-01");
  const auto r = client.get(base(front) + "/front", headers);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto body = json::parse(r.body);
  const std::string span = body["span_id"];
  EXPECT_EQ(body["trace_id"], trace);
  EXPECT_EQ(span.size(), 16u);
  EXPECT_NE(span, "00f067aa0ba902b7") << "a new span per request";
  EXPECT_EQ(body["parent_span_id"], "00f067aa0ba902b7");
  const std::string own = "00-" + trace + "-" + span + "-01";
  EXPECT_EQ(body["header"], own) << "handlers pass on the traceparent naming their span";
  EXPECT_EQ(r.headers.get("traceparent"), own) << "the caller can quote it";
  // downstream got front's traceparent: its span is a child of front's.
  const std::string downstream_span = body["downstream"]["span_id"];
  EXPECT_EQ(body["downstream"]["trace_id"], trace);
  EXPECT_EQ(body["downstream"]["parent_span_id"], span);
  EXPECT_NE(downstream_span, span);
  EXPECT_EQ(body["downstream"]["received"], "00-" + trace + "-" + downstream_span + "-01");

  // No (or a broken) traceparent: the server starts a trace and says which.
  Headers broken;
  broken.set("traceparent", "garbage");
  for (const auto& h : {Headers{}, broken}) {
    const auto fresh = client.get(base(front) + "/front", h);
    const auto fresh_body = json::parse(fresh.body);
    const std::string fresh_trace = fresh_body["trace_id"];
    EXPECT_EQ(fresh_trace.size(), 32u);
    EXPECT_NE(fresh_trace, trace);
    EXPECT_EQ(fresh_body["parent_span_id"], "");
    EXPECT_EQ(fresh.headers.get("traceparent"),
              "00-" + fresh_trace + "-" + fresh_body["span_id"].get<std::string>() + "-01");
  }
  EXPECT_EQ(commerce::log::current_traceparent(), "") << "the test thread is in no trace";
  front.stop();
  downstream.stop();
}
