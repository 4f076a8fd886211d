#include "commerce/bus/envelope.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "commerce/bus/schema.hpp"
#include "commerce/core/traceparent.hpp"
#include "commerce/log/log.hpp"

namespace commerce::bus {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json envelope_schema() {
  std::ifstream in(std::string(COMMERCE_SOURCE_DIR) + "/schemas/envelope.v1.json");
  return json::parse(in);
}

std::string parse_error(const std::string& text) {
  try {
    parse_envelope(text);
  } catch (const EnvelopeError& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(Envelope, FirstMessageStartsItsOwnFlowAndTrace) {
  const Envelope e = make_envelope("order.OrderPlaced", "m-1", json{{"order_id", "o-1"}});
  EXPECT_EQ(e.type, "order.OrderPlaced");
  EXPECT_EQ(e.version, 1);
  EXPECT_EQ(e.merchant_id, "m-1");
  EXPECT_EQ(e.correlation_id, e.id);
  EXPECT_EQ(e.causation_id, "");
  EXPECT_TRUE(core::TraceParent::parse(e.traceparent).has_value()) << e.traceparent;
  EXPECT_EQ(e.payload["order_id"], "o-1");
  EXPECT_EQ(e.id.size(), 36u);
  EXPECT_EQ(e.id[14], '7') << "UUIDv7 " << e.id;
  EXPECT_EQ(e.occurred_at.back(), 'Z');
}

TEST(Envelope, GivenTraceparentIsKeptForAFirstMessage) {
  const std::string tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const Envelope e = make_envelope("order.OrderPlaced", "m-1", json::object(), nullptr, tp);
  EXPECT_EQ(e.traceparent, tp);
}

TEST(Envelope, CausedMessageInheritsFlowAndContinuesTheTrace) {
  const Envelope cause = make_envelope("order.OrderPlaced", "m-1", json::object());
  const Envelope effect = make_envelope("inventory.ReserveStock", "m-1", json::object(), &cause);
  EXPECT_NE(effect.id, cause.id);
  EXPECT_EQ(effect.correlation_id, cause.correlation_id);
  EXPECT_EQ(effect.causation_id, cause.id);
  const auto parent = core::TraceParent::parse(cause.traceparent);
  const auto child = core::TraceParent::parse(effect.traceparent);
  ASSERT_TRUE(parent && child);
  EXPECT_EQ(child->trace_id, parent->trace_id);
  EXPECT_NE(child->span_id, parent->span_id);
}

TEST(Envelope, MessagesEmittedWithinAHopNameItsSpanAsParent) {
  const Envelope cause = make_envelope("order.OrderPlaced", "m-1", json::object());
  const auto parent = core::TraceParent::parse(cause.traceparent);
  ASSERT_TRUE(parent);
  log::Context handling;
  handling.trace_id = parent->trace_id;
  handling.span_id = parent->child().span_id;
  log::ScopedContext scoped(handling);
  const Envelope effect = make_envelope("inventory.ReserveStock", "m-1", json::object(), &cause);
  EXPECT_EQ(effect.traceparent, "00-" + handling.trace_id + "-" + handling.span_id + "-01");
  // A first message (an HTTP handler's) joins the current trace too.
  const Envelope first = make_envelope("order.OrderPlaced", "m-1", json::object());
  EXPECT_EQ(first.traceparent, effect.traceparent);
  EXPECT_EQ(first.correlation_id, first.id);
}

TEST(Envelope, TextIsTheDocumentsText) {
  // to_json_string writes the text itself; it must be exactly what the document would dump,
  // escapes and nested payloads included.
  Envelope e = make_envelope("order.OrderPlaced", "m \"quoted\" \\ caf\xc3\xa9\n\x01",
                             json{{"lines", json::array({json{{"sku", "A\tB"}, {"q", 2}}})},
                                  {"total", 12.5},
                                  {"note", nullptr}});
  e.version = 7;
  EXPECT_EQ(to_json_string(e), to_json(e).dump());
  e.payload = json::object();
  EXPECT_EQ(to_json_string(e), to_json(e).dump());
}

TEST(Envelope, RoundTripsThroughJson) {
  const Envelope cause = make_envelope("order.OrderPlaced", "m-1", json::object());
  const Envelope e =
      make_envelope("order.OrderConfirmed", "m-9", json{{"order_id", "o-1"}, {"n", 3}}, &cause);
  const Envelope back = parse_envelope(to_json_string(e));
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.type, e.type);
  EXPECT_EQ(back.version, e.version);
  EXPECT_EQ(back.merchant_id, e.merchant_id);
  EXPECT_EQ(back.correlation_id, e.correlation_id);
  EXPECT_EQ(back.causation_id, e.causation_id);
  EXPECT_EQ(back.occurred_at, e.occurred_at);
  EXPECT_EQ(back.traceparent, e.traceparent);
  EXPECT_EQ(back.payload, e.payload);
}

TEST(Envelope, MadeEnvelopesSatisfyTheEnvelopeSchema) {
  const json schema = envelope_schema();
  const Envelope first = make_envelope("order.OrderPlaced", "m-1", json{{"a", 1}});
  const Envelope second = make_envelope("inventory.ReserveStock", "m-1", json::object(), &first);
  EXPECT_EQ(validate_against(schema, to_json(first), schema), std::nullopt);
  EXPECT_EQ(validate_against(schema, to_json(second), schema), std::nullopt);

  json bad = to_json(first);
  bad["occurred_at"] = "yesterday";
  EXPECT_THAT(validate_against(schema, bad, schema).value_or(""), HasSubstr("/occurred_at"));
  bad = to_json(first);
  bad.erase("traceparent");
  EXPECT_THAT(validate_against(schema, bad, schema).value_or(""), HasSubstr("/traceparent"));
}

TEST(Envelope, RejectsTextThatIsNotJson) {
  EXPECT_THAT(parse_error("{not json"), HasSubstr("not JSON"));
  EXPECT_THAT(parse_error(""), HasSubstr("not JSON"));
  EXPECT_THAT(parse_error("[1,2]"), HasSubstr("must be a JSON object"));
}

TEST(Envelope, NamesTheMissingField) {
  const json full = to_json(make_envelope("order.OrderPlaced", "m-1", json::object()));
  for (const char* name : {"id", "type", "version", "merchant_id", "correlation_id", "causation_id",
                           "occurred_at", "traceparent", "payload"}) {
    json doc = full;
    doc.erase(name);
    EXPECT_THAT(parse_error(doc.dump()), HasSubstr(std::string("missing field '") + name + "'"));
  }
}

TEST(Envelope, NamesTheIllTypedField) {
  json doc = to_json(make_envelope("order.OrderPlaced", "m-1", json::object()));
  doc["merchant_id"] = 42;
  EXPECT_THAT(parse_error(doc.dump()), HasSubstr("'merchant_id' must be a string"));
  doc["merchant_id"] = "m-1";
  doc["version"] = "1";
  EXPECT_THAT(parse_error(doc.dump()), HasSubstr("'version' must be an integer"));
  doc["version"] = 1.5;
  EXPECT_THAT(parse_error(doc.dump()), HasSubstr("'version' must be an integer"));
}

TEST(Envelope, RejectsVersionBelowOne) {
  json doc = to_json(make_envelope("order.OrderPlaced", "m-1", json::object()));
  doc["version"] = 0;
  EXPECT_THAT(parse_error(doc.dump()), HasSubstr("'version' must be >= 1"));
  doc["version"] = -3;
  EXPECT_THAT(parse_error(doc.dump()), HasSubstr("'version' must be >= 1"));
}

TEST(Envelope, RejectsPayloadThatIsNotAnObject) {
  json doc = to_json(make_envelope("order.OrderPlaced", "m-1", json::object()));
  for (const json& payload : {json::array(), json(nullptr), json("x"), json(3)}) {
    doc["payload"] = payload;
    EXPECT_THAT(parse_error(doc.dump()), HasSubstr("'payload' must be an object"));
  }
}

}  // namespace
}  // namespace commerce::bus
