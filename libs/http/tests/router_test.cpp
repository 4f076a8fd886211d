#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "commerce/http/http.hpp"

using commerce::http::Headers;
using commerce::http::Request;
using commerce::http::Response;
using commerce::http::Router;
using nlohmann::json;

namespace {

Request make_request(std::string method, std::string target) {
  Request request;
  request.method = std::move(method);
  request.target = std::move(target);
  return request;
}

Router sample_router() {
  Router router;
  router.add("GET", "/v1/orders/{id}", [](const Request& r) {
    return Response::json(200, {{"id", r.params.at("id")}, {"route", r.route}});
  });
  router.add("DELETE", "/v1/orders/{id}", [](const Request&) { return Response::json(204, {}); });
  router.add("GET", "/v1/orders/search", [](const Request& r) {
    return Response::json(200, {{"search", true}});
  });
  router.add("POST", "/v1/merchants/{id}/api-keys", [](const Request& r) {
    return Response::json(201, {{"merchant", r.params.at("id")}});
  });
  router.add("GET", "/v1/boom",
             [](const Request&) -> Response { throw std::runtime_error("secret detail"); });
  return router;
}

}  // namespace

TEST(Headers, NamesAreCaseInsensitive) {
  Headers headers;
  headers.set("Content-Type", "text/plain");
  EXPECT_EQ(headers.get("content-type"), "text/plain");
  headers.set("CONTENT-TYPE", "application/json");
  EXPECT_EQ(headers.all().size(), 1u);
  EXPECT_EQ(headers.get("Content-Type"), "application/json");
  headers.add("x-a", "1");
  headers.add("X-A", "2");
  EXPECT_EQ(headers.all().size(), 3u);
  EXPECT_EQ(headers.get("X-a"), "1");
  EXPECT_FALSE(headers.get("missing").has_value());

  Request request;
  request.headers.set("X-Request-Id", "abc");
  EXPECT_EQ(request.header("x-request-id"), "abc");
  EXPECT_EQ(request.header("nope", "fallback"), "fallback");
}

TEST(Response, ErrorBodyShapeAndJsonContentType) {
  auto response = Response::error(422, "invalid_amount", "amount must be positive");
  EXPECT_EQ(response.status, 422);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/json");
  auto body = json::parse(response.body);
  EXPECT_EQ(
      body,
      json::parse(R"({"error":{"code":"invalid_amount","message":"amount must be positive"}})"));

  auto text = Response::text(200, "ok");
  EXPECT_EQ(text.headers.get("content-type"), "text/plain");
  EXPECT_EQ(text.body, "ok");
}

TEST(ParseJson, AcceptsJsonAndRejectsGarbageWith400) {
  Request request;
  json out;
  request.body = R"({"a":1})";
  EXPECT_FALSE(commerce::http::parse_json(request, out).has_value());
  EXPECT_EQ(out["a"], 1);

  for (std::string bad : {"", "{", "not json", "{\"a\":}"}) {
    request.body = bad;
    auto error = commerce::http::parse_json(request, out);
    ASSERT_TRUE(error.has_value()) << bad;
    EXPECT_EQ(error->status, 400);
    auto body = json::parse(error->body);
    EXPECT_EQ(body["error"]["code"], "invalid_json");
    EXPECT_TRUE(body["error"]["message"].is_string());
  }
}

TEST(Router, MatchesParamsAndSetsRoute) {
  auto router = sample_router();
  auto request = make_request("GET", "/v1/orders/ord-42?expand=lines&x=a%20b+c");
  auto response = router.dispatch(request);
  ASSERT_EQ(response.status, 200);
  auto body = json::parse(response.body);
  EXPECT_EQ(body["id"], "ord-42");
  EXPECT_EQ(body["route"], "/v1/orders/{id}");
  EXPECT_EQ(request.route, "/v1/orders/{id}");
  EXPECT_EQ(request.path, "/v1/orders/ord-42");
  EXPECT_EQ(request.query.at("expand"), "lines");
  EXPECT_EQ(request.query.at("x"), "a b c");

  auto keys = make_request("POST", "/v1/merchants/m%2F1/api-keys");
  response = router.dispatch(keys);
  ASSERT_EQ(response.status, 201);
  EXPECT_EQ(json::parse(response.body)["merchant"], "m/1");  // encoded '/' stays in the param
  EXPECT_EQ(keys.route, "/v1/merchants/{id}/api-keys");
}

TEST(Router, LiteralSegmentBeatsParam) {
  auto router = sample_router();
  auto request = make_request("GET", "/v1/orders/search");
  auto response = router.dispatch(request);
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body)["search"], true);
  EXPECT_EQ(request.route, "/v1/orders/search");
}

TEST(Router, UnknownPathIs404) {
  auto router = sample_router();
  for (std::string target : {"/v1/orders", "/v1/orders/1/extra", "/nope", "/v1/orders/"}) {
    auto request = make_request("GET", target);
    auto response = router.dispatch(request);
    EXPECT_EQ(response.status, 404) << target;
    EXPECT_EQ(json::parse(response.body)["error"]["code"], "not_found");
    EXPECT_EQ(request.route, "");
  }
}

TEST(Router, KnownPathOtherMethodIs405WithAllow) {
  auto router = sample_router();
  auto request = make_request("PUT", "/v1/orders/7");
  auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "method_not_allowed");
  EXPECT_EQ(response.headers.get("Allow"), "DELETE, GET");
}

TEST(Router, ThrowingHandlerIs500WithoutLeakingDetails) {
  auto router = sample_router();
  auto request = make_request("GET", "/v1/boom");
  auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(json::parse(response.body)["error"]["code"], "internal");
  EXPECT_EQ(response.body.find("secret detail"), std::string::npos);
}

TEST(Router, UsesPathWhenTargetIsEmpty) {
  auto router = sample_router();
  Request request;
  request.method = "GET";
  request.path = "/v1/orders/9";
  auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(request.params.at("id"), "9");
}
