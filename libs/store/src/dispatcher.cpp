// From consumed Kafka messages to transactional effects: inbox, handler, outbox, one commit.
#include <unordered_set>

#include "commerce/core/traceparent.hpp"
#include "commerce/log/log.hpp"
#include "commerce/metrics/registry.hpp"
#include "commerce/store/store.hpp"

namespace commerce::store {

void MessageContext::emit(const std::string& topic, const std::string& key, std::string type,
                          nlohmann::json payload) {
  emit(topic, key,
       bus::make_envelope(std::move(type), message_.merchant_id, std::move(payload), &message_));
}

void MessageContext::emit(const std::string& topic, const std::string& key,
                          const bus::Envelope& envelope) {
  if (pending_) {
    pending_->push_back({topic, key, envelope});
  } else {
    append_outbox(tx_, topic, key, envelope);
  }
}

log::Context MessageContext::log_context() const {
  log::Context context{message_.id, message_.correlation_id, message_.causation_id, "", "", ""};
  // Handling is a span of its own, a child of the span that emitted the message.
  if (auto trace = core::TraceParent::parse(message_.traceparent)) {
    context.trace_id = trace->trace_id;
    context.span_id = trace->child().span_id;
    context.parent_span_id = trace->span_id;
  }
  return context;
}

void for_each_run(std::span<MessageContext> batch, const std::string& type,
                  const std::function<void(std::span<MessageContext>)>& run,
                  const std::function<void(MessageContext&)>& one) {
  std::size_t i = 0;
  while (i < batch.size()) {
    if (batch[i].message().type != type) {
      log::ScopedContext scoped(batch[i].log_context());
      one(batch[i++]);
      continue;
    }
    std::size_t end = i;
    while (end < batch.size() && batch[end].message().type == type) ++end;
    run(batch.subspan(i, end - i));
    i = end;
  }
}

MessageDispatcher::MessageDispatcher(ConnectionPool& pool, const bus::SchemaRegistry& schemas,
                                     metrics::Registry* metrics)
    : pool_(pool), schemas_(schemas), metrics_(metrics) {}

void MessageDispatcher::on(const std::string& type, MessageHandler handler) {
  routes_[type] = Route{std::move(handler)};
}

void MessageDispatcher::on_batch(const std::vector<std::string>& types,
                                 BatchMessageHandler handler) {
  batch_handlers_.push_back(std::move(handler));
  for (const auto& type : types) routes_[type] = Route{nullptr, batch_handlers_.size() - 1};
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
  // Parsed and validated before taking a connection. A bad envelope throws bus::EnvelopeError
  // and a schema violation throws: the consumer then replays the batch singly and dead-letters
  // the culprit.
  struct Parsed {
    const bus::Message* raw;
    bus::Envelope envelope;
    const Route* route;
  };
  std::vector<Parsed> parsed;
  std::vector<std::string> ids;
  parsed.reserve(batch.size());
  ids.reserve(batch.size());
  for (const auto& raw : batch) {
    // Shared events topics carry many types an agent ignores; the relay's `type` header lets
    // us skip those without parsing them. Messages without the header are parsed as usual.
    if (auto type = header_of(raw, "type"); type && !routes_.count(*type)) continue;
    bus::Envelope message = bus::parse_envelope(raw.value);
    auto route = routes_.find(message.type);
    if (route == routes_.end()) continue;  // not for us
    if (auto violation = schemas_.validate(message.type, message.version, message.payload)) {
      throw std::runtime_error("schema: " + message.type + " v" + std::to_string(message.version) +
                               ": " + *violation);
    }
    ids.push_back(message.id);
    parsed.push_back({&raw, std::move(message), &route->second});
  }
  if (parsed.empty()) return;

  struct Handled {
    std::string type;
    double seconds;
  };
  std::vector<Handled> handled;
  std::vector<OutboxEntry> outbox;
  pool_.transact([&](pqxx::work& tx) {
    handled.clear();  // the transaction may be retried
    outbox.clear();
    // Ids already in the inbox were handled: their effects are committed.
    const auto claimed = claim_inbox(tx, ids);
    std::unordered_set<std::string> fresh(claimed.begin(), claimed.end());
    std::vector<std::vector<MessageContext>> grouped(batch_handlers_.size());
    for (const auto& p : parsed) {
      if (!fresh.erase(p.envelope.id)) continue;  // redelivered, or twice in this batch
      if (!p.route->one) {
        grouped[p.route->batch].emplace_back(tx, p.envelope, *p.raw, &outbox);
        continue;
      }
      MessageContext ctx(tx, p.envelope, *p.raw, &outbox);
      log::ScopedContext scoped(ctx.log_context());
      const auto started = std::chrono::steady_clock::now();
      p.route->one(ctx);
      handled.push_back(
          {p.envelope.type,
           std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
    }
    for (std::size_t b = 0; b < grouped.size(); ++b) {
      auto& group = grouped[b];
      if (group.empty()) continue;
      const auto started = std::chrono::steady_clock::now();
      batch_handlers_[b](std::span<MessageContext>(group));
      // Each message's share of the batch's time.
      const double share =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() /
          static_cast<double>(group.size());
      for (const auto& ctx : group) handled.push_back({ctx.message().type, share});
    }
    append_outbox(tx, outbox);
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
