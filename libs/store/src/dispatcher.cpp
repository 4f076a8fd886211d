// From consumed Kafka messages to transactional effects: inbox, handler, outbox, one commit.
#include "commerce/core/traceparent.hpp"
#include "commerce/log/log.hpp"
#include "commerce/metrics/registry.hpp"
#include "commerce/store/store.hpp"

namespace commerce::store {

void MessageContext::emit(const std::string& topic, const std::string& key, std::string type,
                          nlohmann::json payload) {
  auto envelope =
      bus::make_envelope(std::move(type), message_.merchant_id, std::move(payload), &message_);
  append_outbox(tx_, topic, key, envelope);
}

void MessageContext::emit(const std::string& topic, const std::string& key,
                          const bus::Envelope& envelope) {
  append_outbox(tx_, topic, key, envelope);
}

MessageDispatcher::MessageDispatcher(ConnectionPool& pool, const bus::SchemaRegistry& schemas,
                                     metrics::Registry* metrics)
    : pool_(pool), schemas_(schemas), metrics_(metrics) {}

void MessageDispatcher::on(const std::string& type, MessageHandler handler) {
  handlers_[type] = std::move(handler);
}

namespace {

const std::string* header_of(const bus::Message& message, std::string_view name) {
  for (const auto& [key, value] : message.headers) {
    if (key == name) return &value;
  }
  return nullptr;
}

}  // namespace

bus::BatchHandler MessageDispatcher::batch_handler() {
  return [this](std::span<const bus::Message> batch) { handle(batch); };
}

void MessageDispatcher::handle(std::span<const bus::Message> batch) {
  if (batch.empty()) return;
  struct Handled {
    std::string type;
    double seconds;
  };
  std::vector<Handled> handled;
  pool_.transact([&](pqxx::work& tx) {
    handled.clear();  // the transaction may be retried
    for (const auto& raw : batch) {
      // Shared events topics carry many types an agent ignores; the relay's `type` header lets
      // us skip those without parsing them. Messages without the header are parsed as usual.
      if (auto type = header_of(raw, "type"); type && !handlers_.count(*type)) continue;
      // A bad envelope throws bus::EnvelopeError: the consumer dead-letters this message.
      const bus::Envelope message = bus::parse_envelope(raw.value);
      auto handler = handlers_.find(message.type);
      if (handler == handlers_.end()) continue;  // not for us
      if (auto violation = schemas_.validate(message.type, message.version, message.payload)) {
        throw std::runtime_error("schema: " + message.type + " v" +
                                 std::to_string(message.version) + ": " + *violation);
      }
      if (!claim_inbox(tx, message.id)) continue;  // redelivered: its effect is committed

      log::Context context{message.id, message.correlation_id, message.causation_id, "", ""};
      if (auto trace = core::TraceParent::parse(message.traceparent)) {
        context.trace_id = trace->trace_id;
        context.span_id = trace->span_id;
      }
      log::ScopedContext scoped(std::move(context));
      const auto started = std::chrono::steady_clock::now();
      MessageContext ctx(tx, message, raw);
      handler->second(ctx);
      handled.push_back(
          {message.type,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
    }
  });
  if (metrics_) {
    auto& count =
        metrics_->counter("messages_handled_total", "Messages whose effect committed", {"type"});
    auto& duration = metrics_->histogram("message_handling_duration_seconds",
                                         "Time in the message handler", {"type"});
    for (const auto& h : handled) {
      count.with({h.type}).inc();
      duration.with({h.type}).observe(h.seconds);
    }
  }
}

}  // namespace commerce::store
