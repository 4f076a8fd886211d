// Round-trip latency of small JSON requests over a kept-alive connection.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>

#include "commerce/http/http.hpp"

using namespace commerce::http;

static void BM_KeepAliveRoundTrip(benchmark::State& state) {
  Router router;
  router.add("POST", "/v1/orders/{id}", [](const Request& r) {
    return Response::json(200, {{"id", r.params.at("id")}, {"size", r.body.size()}});
  });
  Server server(std::move(router), ServerOptions{});
  server.start();
  Client client;
  const auto url = "http://127.0.0.1:" + std::to_string(server.port()) + "/v1/orders/ord-1";
  const std::string body(static_cast<std::size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    auto response = client.post(url, body);
    if (response.status != 200) state.SkipWithError("unexpected status");
    benchmark::DoNotOptimize(response.body);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["connections"] = static_cast<double>(server.connections_accepted());
}
BENCHMARK(BM_KeepAliveRoundTrip)->Arg(16)->Arg(4096)->UseRealTime();

static void BM_RouterDispatch(benchmark::State& state) {
  Router router;
  router.add("GET", "/v1/orders/{id}", [](const Request&) { return Response::text(200, "ok"); });
  router.add("POST", "/v1/merchants/{id}/api-keys",
             [](const Request&) { return Response::text(201, "ok"); });
  for (auto _ : state) {
    Request request;
    request.method = "POST";
    request.target = "/v1/merchants/m-1/api-keys?x=1";
    benchmark::DoNotOptimize(router.dispatch(request));
  }
}
BENCHMARK(BM_RouterDispatch);

BENCHMARK_MAIN();
