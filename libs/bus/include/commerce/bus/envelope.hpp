#pragma once
// The one envelope every command and event travels in (see docs/architecture.md).
// This header includes the full nlohmann/json because the payload is held by value; it is the
// only library header that does.
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace commerce::bus {

struct Envelope {
  std::string id;              // UUIDv7
  std::string type;            // "<agent>.<Name>", e.g. "inventory.StockReserved"
  int version = 1;
  std::string merchant_id;
  std::string correlation_id;  // the business flow (e.g. the order id's first message id)
  std::string causation_id;    // id of the message that caused this one ("" for the first)
  std::string occurred_at;     // UTC RFC 3339
  std::string traceparent;     // W3C
  nlohmann::json payload = nlohmann::json::object();
};

// A message that can never be handled (not JSON, missing or ill-typed envelope fields).
class EnvelopeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A new message. With `cause`, it inherits correlation id and trace, and its causation id is the
// cause's id; without, correlation id = its own id and a fresh trace (or `traceparent` if given).
Envelope make_envelope(std::string type, std::string merchant_id, nlohmann::json payload,
                       const Envelope* cause = nullptr, std::string traceparent = "");

std::string to_json_string(const Envelope& e);
nlohmann::json to_json(const Envelope& e);
// Throws EnvelopeError naming the first problem.
Envelope parse_envelope(std::string_view text);

}  // namespace commerce::bus
