#pragma once
// A merchant's (and the operator's) view of the fleet: calls to the api-gateway's /v1 API.
// fleetctl demo/bench and the integration tests use it; nothing here talks to an agent directly.
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commerce/http/http.hpp"

namespace commerce::scenario {

struct MerchantAccount {
  std::string id;
  std::string api_key;
};

struct OrderLineRequest {
  std::string sku;
  std::int64_t quantity = 1;
};

// A call that answered something other than what the scenario needs.
class UnexpectedAnswer : public std::runtime_error {
 public:
  UnexpectedAnswer(const std::string& what, const http::Response& response);
  int status;
};

class GatewayClient {
 public:
  GatewayClient(std::string base_url, http::Client& client);

  const std::string& base_url() const { return base_url_; }

  // POST /v1/merchants with the operator token: the merchant and its first API key.
  MerchantAccount create_merchant(const std::string& operator_token, const std::string& name);
  // The key reaches the gateway through merchant.ApiKeyCreated: true once GET /v1/merchants/me
  // answers 200 with it.
  bool wait_until_key_works(const std::string& api_key, std::chrono::milliseconds timeout);

  // POST /v1/products (201) and PUT /v1/stock/{sku} (200).
  void create_product(const std::string& api_key, const std::string& sku, const std::string& title,
                      std::int64_t price_minor, const std::string& currency = "EUR");
  void set_stock(const std::string& api_key, const std::string& sku, std::int64_t on_hand);
  // GET /v1/stock/{sku}: the body ({"sku","on_hand","reserved","available",...}).
  nlohmann::json stock(const std::string& api_key, const std::string& sku);
  static nlohmann::json order_body(const std::string& customer_email,
                                   const std::vector<OrderLineRequest>& lines,
                                   const std::string& card_token);
  // POST /v1/orders with an Idempotency-Key; the raw answer.
  http::Response place_order(const std::string& api_key, const nlohmann::json& body,
                             const std::string& idempotency_key);
  // Same, retried with the same key on network errors and 5xx until `timeout`: the order id.
  std::string place_order_reliably(const std::string& api_key, const nlohmann::json& body,
                                   const std::string& idempotency_key,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // GET /v1/orders/{id}.
  http::Response order(const std::string& api_key, const std::string& order_id);

  // Any call with the merchant's key.
  http::Response call(const std::string& method, const std::string& path,
                      const std::string& api_key, const std::string& body = "",
                      const http::Headers& extra = {});

 private:
  std::string base_url_;
  http::Client& client_;
};

}  // namespace commerce::scenario
