#include "domain/route_table.hpp"

#include <gtest/gtest.h>

namespace gateway {
namespace {

using Kind = RouteMatch::Kind;

std::string upstream_of(const std::string& method, const std::string& path) {
  const auto m = match_route(method, path);
  return m.kind == Kind::found ? m.route->upstream : "";
}

TEST(RouteTable, EveryPathGoesToItsOwner) {
  EXPECT_EQ(upstream_of("POST", "/v1/orders"), "order");
  EXPECT_EQ(upstream_of("GET", "/v1/orders"), "order");
  EXPECT_EQ(upstream_of("GET", "/v1/orders/abc"), "order");
  EXPECT_EQ(upstream_of("POST", "/v1/products"), "product");
  EXPECT_EQ(upstream_of("GET", "/v1/products"), "product");
  EXPECT_EQ(upstream_of("GET", "/v1/products/p1"), "product");
  EXPECT_EQ(upstream_of("PATCH", "/v1/products/p1"), "product");
  EXPECT_EQ(upstream_of("PUT", "/v1/stock/SKU-1"), "inventory");
  EXPECT_EQ(upstream_of("GET", "/v1/stock/SKU-1"), "inventory");
  EXPECT_EQ(upstream_of("POST", "/v1/stock/SKU-1/adjustments"), "inventory");
  EXPECT_EQ(upstream_of("GET", "/v1/payments/o1"), "payment");
  EXPECT_EQ(upstream_of("POST", "/v1/merchants"), "merchant");
  EXPECT_EQ(upstream_of("GET", "/v1/merchants/me"), "merchant");
  EXPECT_EQ(upstream_of("POST", "/v1/merchants/m1/api-keys"), "merchant");
  EXPECT_EQ(upstream_of("DELETE", "/v1/merchants/m1/api-keys/k1"), "merchant");
}

TEST(RouteTable, OnlyMerchantAdministrationUsesTheOperatorToken) {
  for (const auto& route : route_table()) {
    const bool operator_route = route.access == Access::operator_token;
    const bool expected =
        route.pattern.rfind("/v1/merchants", 0) == 0 && route.pattern != "/v1/merchants/me";
    EXPECT_EQ(operator_route, expected) << route.method << " " << route.pattern;
  }
}

TEST(RouteTable, UnknownPathIsNotFoundAndWrongMethodIsNotAllowed) {
  EXPECT_EQ(match_route("GET", "/v1/unknown").kind, Kind::not_found);
  EXPECT_EQ(match_route("GET", "/v2/orders").kind, Kind::not_found);
  EXPECT_EQ(match_route("GET", "/v1/orders/a/b").kind, Kind::not_found);
  EXPECT_EQ(match_route("GET", "/v1/orders/").kind, Kind::not_found);  // empty id
  EXPECT_EQ(match_route("GET", "/").kind, Kind::not_found);
  EXPECT_EQ(match_route("DELETE", "/v1/orders").kind, Kind::method_not_allowed);
  EXPECT_EQ(match_route("PUT", "/v1/orders/abc").kind, Kind::method_not_allowed);
  EXPECT_EQ(match_route("GET", "/v1/merchants").kind, Kind::method_not_allowed);
  EXPECT_EQ(match_route("POST", "/v1/payments/o1").kind, Kind::method_not_allowed);
  EXPECT_EQ(match_route("DELETE", "/v1/stock/S").kind, Kind::method_not_allowed);
}

TEST(RouteTable, UpstreamsAndTheirSettings) {
  EXPECT_EQ(upstream_names(),
            (std::vector<std::string>{"order", "product", "inventory", "payment", "merchant"}));
  EXPECT_EQ(upstream_setting("order"), "AGENT_URL_ORDER");
  EXPECT_EQ(upstream_setting("api-gateway"), "AGENT_URL_API_GATEWAY");
}

}  // namespace
}  // namespace gateway
