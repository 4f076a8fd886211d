#include <gtest/gtest.h>

#include <algorithm>

#include "commerce/log/log.hpp"
#include "commerce/metrics/registry.hpp"
#include "store_fixture.hpp"

namespace commerce::store {
namespace {

using testing::provision_migrated;
using testing::query_value;
using testing::TempDir;

constexpr const char* kThingSchema = R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "required": ["n"],
  "properties": {"n": {"type": "integer", "minimum": 0}},
  "additionalProperties": false
})";

class Dispatcher : public ::testing::Test {
 protected:
  void SetUp() override {
    schemas_dir.write("test/Thing.v1.json", kThingSchema);
    schemas_dir.write("test/Other.v1.json", kThingSchema);
    schemas = bus::SchemaRegistry::load(schemas_dir.str());
    db = provision_migrated("dispatch");
    pool = std::make_unique<ConnectionPool>(db.url, 2);
    pool->transact([](pqxx::work& tx) { tx.exec0("CREATE TABLE effect(message_id text, n int)"); });
    dispatcher = std::make_unique<MessageDispatcher>(*pool, schemas, &registry);
    dispatcher->on("test.Thing", [this](MessageContext& ctx) {
      ++calls;
      seen_context = log::current_context();
      ctx.tx().exec_params("INSERT INTO effect VALUES ($1, $2)", ctx.message().id,
                           ctx.message().payload["n"].get<int>());
      ctx.emit("commerce.test.events", "k", "test.ThingCounted", {{"n", 1}});
    });
  }

  static bus::Message message(const bus::Envelope& e) {
    bus::Message m;
    m.topic = "commerce.test.commands";
    m.partition = 0;
    m.key = "k";
    m.value = bus::to_json_string(e);
    return m;
  }

  TempDir schemas_dir;
  bus::SchemaRegistry schemas;
  testing::AgentDb db;
  metrics::Registry registry;
  std::unique_ptr<ConnectionPool> pool;
  std::unique_ptr<MessageDispatcher> dispatcher;
  int calls = 0;
  log::Context seen_context;
};

TEST_F(Dispatcher, HandlesABatchInOneTransactionAndARedeliveryChangesNothing) {
  auto a = bus::make_envelope("test.Thing", "m-1", {{"n", 1}});
  auto b = bus::make_envelope("test.Thing", "m-1", {{"n", 2}});
  std::vector<bus::Message> batch{message(a), message(b)};
  dispatcher->handle(batch);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM effect"), 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM outbox"), 2);

  dispatcher->handle(batch);  // redelivered
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM effect"), 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM outbox"), 2);
  EXPECT_EQ(registry.counter("messages_handled_total", "", {"type"}).with({"test.Thing"}).value(),
            2.0);
}

TEST_F(Dispatcher, EmittedMessagesCarryCausationCorrelationAndTrace) {
  auto cause = bus::make_envelope("test.Thing", "m-7", {{"n", 1}});
  std::vector<bus::Message> batch{message(cause)};
  dispatcher->handle(batch);
  auto emitted = bus::parse_envelope(
      query_value<std::string>(db.url, "SELECT payload FROM outbox ORDER BY id LIMIT 1"));
  EXPECT_EQ(emitted.type, "test.ThingCounted");
  EXPECT_EQ(emitted.causation_id, cause.id);
  EXPECT_EQ(emitted.correlation_id, cause.correlation_id);
  EXPECT_EQ(emitted.merchant_id, "m-7");
  EXPECT_EQ(emitted.traceparent.substr(0, 35), cause.traceparent.substr(0, 35));  // same trace
  // The handler ran with the message's logging context.
  EXPECT_EQ(seen_context.message_id, cause.id);
  EXPECT_EQ(seen_context.correlation_id, cause.correlation_id);
  EXPECT_EQ(seen_context.trace_id, cause.traceparent.substr(3, 32));
  // Handling is a span of its own, child of the emitter's; what it emits names it as parent.
  const std::string cause_span = cause.traceparent.substr(36, 16);
  EXPECT_EQ(seen_context.parent_span_id, cause_span);
  EXPECT_EQ(seen_context.span_id.size(), 16u);
  EXPECT_NE(seen_context.span_id, cause_span);
  EXPECT_EQ(emitted.traceparent.substr(36, 16), seen_context.span_id);
  EXPECT_TRUE(log::current_context().message_id.empty());  // restored afterwards
}

TEST_F(Dispatcher, SchemaViolationThrowsAndCommitsNothingOfTheBatch) {
  auto good = bus::make_envelope("test.Thing", "m-1", {{"n", 1}});
  auto bad = bus::make_envelope("test.Thing", "m-1", {{"n", "not a number"}});
  std::vector<bus::Message> batch{message(good), message(bad)};
  try {
    dispatcher->handle(batch);
    FAIL() << "expected a schema violation";
  } catch (const bus::TransientError&) {
    FAIL() << "a schema violation is not transient";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("schema: test.Thing v1: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM effect"), 0);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 0);
  // The good one alone (as the consumer replays it) goes through.
  std::vector<bus::Message> alone{message(good)};
  dispatcher->handle(alone);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM effect"), 1);
}

TEST_F(Dispatcher, UnknownTypeIsSkippedWithoutAnInboxRow) {
  auto other = bus::make_envelope("test.Other", "m-1", {{"n", 1}});
  std::vector<bus::Message> batch{message(other)};
  dispatcher->handle(batch);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 0);
}

TEST_F(Dispatcher, BadEnvelopeThrowsEnvelopeError) {
  bus::Message m;
  m.topic = "commerce.test.commands";
  m.value = "{not json";
  std::vector<bus::Message> batch{m};
  EXPECT_THROW(dispatcher->handle(batch), bus::EnvelopeError);
  m.value = R"({"id": 5})";
  std::vector<bus::Message> batch2{m};
  EXPECT_THROW(dispatcher->handle(batch2), bus::EnvelopeError);
  EXPECT_EQ(calls, 0);
}

TEST_F(Dispatcher, TypeHeaderOfAnUnhandledTypeSkipsWithoutParsing) {
  bus::Message m;
  m.topic = "commerce.test.events";
  m.value = "{not json";  // would be dead-lettered if it were parsed
  m.headers = {{"type", "test.Other"}};
  std::vector<bus::Message> batch{m};
  EXPECT_NO_THROW(dispatcher->handle(batch));
  // A handled type is parsed as ever, so a bad envelope still reaches the dead-letter topic.
  batch[0].headers = {{"type", "test.Thing"}};
  EXPECT_THROW(dispatcher->handle(batch), bus::EnvelopeError);
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 0);
}

TEST_F(Dispatcher, HandlerFailureRollsBackTheInboxClaim) {
  dispatcher->on("test.Other", [](MessageContext&) { throw std::runtime_error("cannot"); });
  auto other = bus::make_envelope("test.Other", "m-1", {{"n", 1}});
  std::vector<bus::Message> batch{message(other)};
  EXPECT_THROW(dispatcher->handle(batch), std::runtime_error);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM inbox"), 0);
}

TEST_F(Dispatcher, ABatchHandlerGetsEveryFreshMessageOfItsTypesInOneCall) {
  std::vector<std::vector<int>> calls_seen;
  dispatcher->on_batch({"test.Other"}, [&](std::span<MessageContext> messages) {
    std::vector<int> ns;
    for (auto& ctx : messages) {
      ns.push_back(ctx.message().payload["n"].get<int>());
      ctx.emit("commerce.test.events", "k", "test.OtherCounted", {{"n", ns.back()}});
      // Its log context names the message it is about, when the handler scopes it.
      log::ScopedContext scoped(ctx.log_context());
      EXPECT_EQ(log::current_context().message_id, ctx.message().id);
    }
    messages.front().tx().exec0("INSERT INTO effect VALUES ('batch', " +
                                std::to_string(messages.size()) + ")");
    calls_seen.push_back(ns);
  });
  auto o1 = bus::make_envelope("test.Other", "m-1", {{"n", 1}});
  auto t = bus::make_envelope("test.Thing", "m-1", {{"n", 5}});
  auto o2 = bus::make_envelope("test.Other", "m-1", {{"n", 2}});
  std::vector<bus::Message> batch{message(o1), message(t), message(o2), message(o1)};
  dispatcher->handle(batch);
  ASSERT_EQ(calls_seen.size(), 1u) << "one call for the batch";
  EXPECT_EQ(calls_seen[0], (std::vector<int>{1, 2})) << "in order, the duplicate once";
  EXPECT_EQ(calls, 1) << "the per-message handler still runs for its type";
  EXPECT_EQ(query_value(db.url, "SELECT n FROM effect WHERE message_id = 'batch'"), 2);
  EXPECT_EQ(query_value(db.url, "SELECT count(*) FROM outbox"), 3);
  EXPECT_EQ(registry.counter("messages_handled_total", "", {"type"}).with({"test.Other"}).value(),
            2.0);

  dispatcher->handle(batch);  // redelivered: nothing fresh, no call
  EXPECT_EQ(calls_seen.size(), 1u);
  const auto types = dispatcher->handled_types();
  EXPECT_NE(std::find(types.begin(), types.end(), "test.Other"), types.end());
}

}  // namespace
}  // namespace commerce::store
