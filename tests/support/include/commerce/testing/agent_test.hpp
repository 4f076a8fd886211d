#pragma once
// What the agents' integration tests share: one stack per test process, torn down while logging
// and Kafka are still alive, and the small helpers for an agent's internal HTTP API.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "commerce/bus/schema.hpp"
#include "commerce/http/http.hpp"
#include "commerce/stack/stack.hpp"

namespace commerce::testing {

// One T per test process, built on first use and destroyed in a gtest environment's TearDown,
// so its agents and consumers stop before static destruction takes logging away.
template <class T>
class SuiteStack {
 public:
  static T& get() {
    (void)kTearDown;  // instantiates the registration below
    if (!holder()) holder() = std::make_unique<T>();
    return *holder();
  }

 private:
  struct Reset : ::testing::Environment {
    void TearDown() override { holder().reset(); }
  };
  static std::unique_ptr<T>& holder() {
    static std::unique_ptr<T> instance;
    return instance;
  }
  inline static ::testing::Environment* const kTearDown =
      ::testing::AddGlobalTestEnvironment(new Reset);
};

template <class T>
T& suite_stack() {
  return SuiteStack<T>::get();
}

inline const bus::SchemaRegistry& schemas() {
  static const auto registry = bus::SchemaRegistry::load(stack::source_dir() + "/schemas");
  return registry;
}

inline http::Client& client() {
  static http::Client c;
  return c;
}

// Headers the gateway would add for an authenticated merchant.
inline http::Headers tenant(const std::string& merchant_id) {
  http::Headers h;
  h.set("X-Merchant-Id", merchant_id);
  h.set("Content-Type", "application/json");
  return h;
}

// The error code of a {"error":{"code",...}} body, or a readable note when there is none.
inline std::string error_code(const http::Response& r) {
  try {
    return nlohmann::json::parse(r.body).at("error").at("code").get<std::string>();
  } catch (const std::exception&) {
    return "(none: " + r.body + ")";
  }
}

inline std::string new_merchant() { return stack::unique_name("m"); }

}  // namespace commerce::testing
