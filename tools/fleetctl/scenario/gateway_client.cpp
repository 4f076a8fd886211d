#include "scenario/gateway_client.hpp"

#include <thread>

namespace commerce::scenario {

using nlohmann::json;
using namespace std::chrono_literals;

UnexpectedAnswer::UnexpectedAnswer(const std::string& what, const http::Response& response)
    : std::runtime_error(what + ": HTTP " + std::to_string(response.status) + " " +
                         response.body.substr(0, 500)),
      status(response.status) {}

GatewayClient::GatewayClient(std::string base_url, http::Client& client)
    : base_url_(std::move(base_url)), client_(client) {}

http::Response GatewayClient::call(const std::string& method, const std::string& path,
                                   const std::string& api_key, const std::string& body,
                                   const http::Headers& extra) {
  http::Headers headers = extra;
  if (!api_key.empty() && !headers.get("Authorization")) {
    headers.set("Authorization", "Bearer " + api_key);
  }
  if (!body.empty() && !headers.get("Content-Type")) {
    headers.set("Content-Type", "application/json");
  }
  return client_.request(method, base_url_ + path, body, headers);
}

MerchantAccount GatewayClient::create_merchant(const std::string& operator_token,
                                               const std::string& name) {
  auto r = call("POST", "/v1/merchants", operator_token, json{{"name", name}}.dump());
  if (r.status != 201) throw UnexpectedAnswer("create merchant", r);
  auto body = json::parse(r.body);
  return {body.at("merchant").at("id").get<std::string>(),
          body.at("api_key").at("key").get<std::string>()};
}

bool GatewayClient::wait_until_key_works(const std::string& api_key,
                                         std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (call("GET", "/v1/merchants/me", api_key).status == 200) return true;
    } catch (const std::exception&) {
      // the gateway may be momentarily unreachable; keep trying until the deadline
    }
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

void GatewayClient::create_product(const std::string& api_key, const std::string& sku,
                                   const std::string& title, std::int64_t price_minor,
                                   const std::string& currency) {
  json body = {{"sku", sku},
               {"title", title},
               {"price", {{"amount_minor", price_minor}, {"currency", currency}}}};
  http::Headers h;
  h.set("Idempotency-Key", "product-" + sku);
  auto r = call("POST", "/v1/products", api_key, body.dump(), h);
  if (r.status != 201) throw UnexpectedAnswer("create product " + sku, r);
}

void GatewayClient::set_stock(const std::string& api_key, const std::string& sku,
                              std::int64_t on_hand) {
  auto r = call("PUT", "/v1/stock/" + sku, api_key, json{{"on_hand", on_hand}}.dump());
  if (r.status != 200 && r.status != 201) throw UnexpectedAnswer("set stock of " + sku, r);
}

json GatewayClient::stock(const std::string& api_key, const std::string& sku) {
  auto r = call("GET", "/v1/stock/" + sku, api_key);
  if (r.status != 200) throw UnexpectedAnswer("stock of " + sku, r);
  return json::parse(r.body);
}

json GatewayClient::order_body(const std::string& customer_email,
                               const std::vector<OrderLineRequest>& lines,
                               const std::string& card_token) {
  json items = json::array();
  for (const auto& l : lines) items.push_back({{"sku", l.sku}, {"quantity", l.quantity}});
  return {{"customer", {{"email", customer_email}}},
          {"lines", items},
          {"payment", {{"card_token", card_token}}}};
}

http::Response GatewayClient::place_order(const std::string& api_key, const json& body,
                                          const std::string& idempotency_key) {
  http::Headers h;
  if (!idempotency_key.empty()) h.set("Idempotency-Key", idempotency_key);
  return call("POST", "/v1/orders", api_key, body.dump(), h);
}

std::string GatewayClient::place_order_reliably(const std::string& api_key, const json& body,
                                                const std::string& idempotency_key,
                                                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_problem;
  auto pause = 50ms;
  while (true) {
    try {
      auto r = place_order(api_key, body, idempotency_key);
      if (r.status == 201 || r.status == 200)
        return json::parse(r.body).at("id").get<std::string>();
      // 409 while the first attempt with this key is still in flight: same as a 5xx, try again.
      const bool in_flight = r.status == 409 && r.body.find("progress") != std::string::npos;
      if (r.status < 500 && !in_flight) throw UnexpectedAnswer("place order", r);
      last_problem = "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
    } catch (const UnexpectedAnswer&) {
      throw;
    } catch (const std::exception& e) {
      last_problem = e.what();
    }
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("place order (Idempotency-Key " + idempotency_key +
                               "): gave up: " + last_problem);
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

http::Response GatewayClient::order(const std::string& api_key, const std::string& order_id) {
  return call("GET", "/v1/orders/" + order_id, api_key);
}

}  // namespace commerce::scenario
