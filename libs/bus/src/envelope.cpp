#include "commerce/bus/envelope.hpp"

#include <utility>

#include "commerce/core/ids.hpp"
#include "commerce/core/traceparent.hpp"
#include "commerce/log/log.hpp"

namespace commerce::bus {
namespace {

using nlohmann::json;

// A new message names the span that emitted it as its parent: the current hop's span while
// this thread handles its cause (or serves a request), else a new span in the cause's trace.
std::string trace_for(const Envelope* cause, std::string given) {
  const auto& current = log::current_context();
  if (cause != nullptr) {
    if (auto parent = core::TraceParent::parse(cause->traceparent)) {
      if (current.trace_id == parent->trace_id && !current.span_id.empty()) {
        return core::TraceParent{parent->trace_id, current.span_id, parent->flags}.to_string();
      }
      return parent->child().to_string();
    }
    // A cause without a usable trace still deserves one for its descendants.
    return core::TraceParent::fresh().to_string();
  }
  if (!given.empty()) return given;
  if (auto traceparent = log::current_traceparent(); !traceparent.empty()) return traceparent;
  return core::TraceParent::fresh().to_string();
}

const json& field(const json& doc, const char* name) {
  auto it = doc.find(name);
  if (it == doc.end()) throw EnvelopeError(std::string("envelope: missing field '") + name + "'");
  return *it;
}

std::string string_field(const json& doc, const char* name) {
  const json& value = field(doc, name);
  if (!value.is_string()) {
    throw EnvelopeError(std::string("envelope: field '") + name + "' must be a string, got " +
                        value.type_name());
  }
  return value.get<std::string>();
}

}  // namespace

Envelope make_envelope(std::string type, std::string merchant_id, nlohmann::json payload,
                       const Envelope* cause, std::string traceparent) {
  Envelope e;
  e.id = core::uuid_v7();
  e.type = std::move(type);
  e.version = 1;
  e.merchant_id = std::move(merchant_id);
  e.correlation_id = cause != nullptr ? cause->correlation_id : e.id;
  e.causation_id = cause != nullptr ? cause->id : "";
  e.occurred_at = core::now_rfc3339();
  e.traceparent = trace_for(cause, std::move(traceparent));
  e.payload = payload.is_null() ? json::object() : std::move(payload);
  return e;
}

nlohmann::json to_json(const Envelope& e) {
  return json{{"id", e.id},
              {"type", e.type},
              {"version", e.version},
              {"merchant_id", e.merchant_id},
              {"correlation_id", e.correlation_id},
              {"causation_id", e.causation_id},
              {"occurred_at", e.occurred_at},
              {"traceparent", e.traceparent},
              {"payload", e.payload}};
}

std::string to_json_string(const Envelope& e) {
  // The same text as to_json(e).dump() (keys in the same, sorted order), without first copying
  // the payload into a new document: every emitted message passes through here.
  std::string out;
  out.reserve(320);
  auto member = [&out](const char* key, const std::string& value) {
    out += out.empty() ? "{\"" : ",\"";
    out += key;
    out += "\":";
    out += json(value).dump();
  };
  member("causation_id", e.causation_id);
  member("correlation_id", e.correlation_id);
  member("id", e.id);
  member("merchant_id", e.merchant_id);
  member("occurred_at", e.occurred_at);
  out += ",\"payload\":";
  out += e.payload.dump();
  member("traceparent", e.traceparent);
  member("type", e.type);
  out += ",\"version\":";
  out += std::to_string(e.version);
  out += '}';
  return out;
}

Envelope parse_envelope(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) throw EnvelopeError("envelope: not JSON");
  if (!doc.is_object()) {
    throw EnvelopeError(std::string("envelope: must be a JSON object, got ") + doc.type_name());
  }
  Envelope e;
  e.id = string_field(doc, "id");
  e.type = string_field(doc, "type");
  const json& version = field(doc, "version");
  if (!version.is_number_integer()) {
    throw EnvelopeError(std::string("envelope: field 'version' must be an integer, got ") +
                        version.type_name());
  }
  const auto v = version.get<std::int64_t>();
  if (v < 1 || v > 1'000'000) {
    throw EnvelopeError("envelope: field 'version' must be >= 1, got " + std::to_string(v));
  }
  e.version = static_cast<int>(v);
  e.merchant_id = string_field(doc, "merchant_id");
  e.correlation_id = string_field(doc, "correlation_id");
  e.causation_id = string_field(doc, "causation_id");
  e.occurred_at = string_field(doc, "occurred_at");
  e.traceparent = string_field(doc, "traceparent");
  const json& payload = field(doc, "payload");
  if (!payload.is_object()) {
    throw EnvelopeError(std::string("envelope: field 'payload' must be an object, got ") +
                        payload.type_name());
  }
  if (e.id.empty()) throw EnvelopeError("envelope: field 'id' must not be empty");
  if (e.type.empty()) throw EnvelopeError("envelope: field 'type' must not be empty");
  e.payload = std::move(doc["payload"]);
  return e;
}

}  // namespace commerce::bus
