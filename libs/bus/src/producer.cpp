#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "commerce/bus/kafka.hpp"
#include "commerce/core/thread_name.hpp"
#include "commerce/log/log.hpp"
#include "rdkafka_util.hpp"

namespace commerce::bus {
namespace {

// The per-message opaque: owned by librdkafka between produce and the delivery report.
struct Pending {
  Producer::DeliveryCallback on_delivery;
};

void on_delivery_report(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(m->_private));
  const bool delivered = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
  const std::string error = delivered ? std::string() : rd_kafka_err2str(m->err);
  if (!delivered) {
    log::warn("kafka delivery failed",
              {{"topic", m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : ""}, {"error", error}});
  }
  if (pending && pending->on_delivery) {
    try {
      pending->on_delivery(delivered, error);
    } catch (const std::exception& e) {
      log::error("delivery callback threw", {{"error", e.what()}});
    } catch (...) {
      log::error("delivery callback threw");
    }
  }
}

void on_client_error(rd_kafka_t* rk, int err, const char* reason, void*) {
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char fatal[512];
    const auto code = rd_kafka_fatal_error(rk, fatal, sizeof fatal);
    // The idempotent producer can no longer guarantee order or no-duplicates: stop here.
    log::error(
        "kafka producer fatal error",
        {{"code", rd_kafka_err2name(code)}, {"error", fatal}, {"client", rd_kafka_name(rk)}});
    std::abort();
  }
  log::warn("kafka producer error",
            {{"code", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
             {"error", reason},
             {"client", rd_kafka_name(rk)}});
}

}  // namespace

struct Producer::Impl {
  rd_kafka_t* rk = nullptr;
  std::thread poller;
  std::atomic<bool> stopping{false};

  void poll_loop() {
    while (!stopping.load()) rd_kafka_poll(rk, 100);
  }
};

Producer::Producer(const BusConfig& config) : impl_(std::make_unique<Impl>()) {
  auto conf = detail::make_conf(config, {{"enable.idempotence", "true"},
                                         {"acks", "all"},
                                         {"linger.ms", "2"},
                                         // Small requests on a latency-bound path: no Nagle delay.
                                         {"socket.nagle.disable", "true"}});
  rd_kafka_conf_set_dr_msg_cb(conf.get(), &on_delivery_report);
  rd_kafka_conf_set_error_cb(conf.get(), &on_client_error);
  impl_->rk = detail::create_handle(RD_KAFKA_PRODUCER, std::move(conf));
  impl_->poller = std::thread([impl = impl_.get()] {
    core::name_this_thread("bus-produce");
    impl->poll_loop();
  });
}

Producer::~Producer() {
  if (!flush(std::chrono::seconds(10))) {
    log::warn("kafka producer closing with undelivered messages",
              {{"count", std::to_string(rd_kafka_outq_len(impl_->rk))}});
  }
  impl_->stopping = true;
  impl_->poller.join();
  // Fail what is left so every delivery callback runs (and every opaque is freed).
  rd_kafka_purge(impl_->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  rd_kafka_poll(impl_->rk, 0);
  rd_kafka_destroy(impl_->rk);
}

void Producer::produce(OutgoingMessage message, DeliveryCallback on_delivery) {
  auto pending = std::make_unique<Pending>(Pending{std::move(on_delivery)});
  for (;;) {
    rd_kafka_headers_t* headers = nullptr;
    if (!message.headers.empty()) {
      headers = rd_kafka_headers_new(message.headers.size());
      for (const auto& [name, value] : message.headers) {
        rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                            static_cast<ssize_t>(value.size()));
      }
    }
    const rd_kafka_resp_err_t err =
        rd_kafka_producev(impl_->rk, RD_KAFKA_V_TOPIC(message.topic.c_str()),
                          RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
                          RD_KAFKA_V_VALUE(message.value.data(), message.value.size()),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                          RD_KAFKA_V_OPAQUE(pending.get()), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      pending.release();  // librdkafka owns it until the delivery report
      return;
    }
    if (headers != nullptr) rd_kafka_headers_destroy(headers);  // not taken on failure
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      // Back-pressure: the poll thread drains delivery reports; give it a moment.
      rd_kafka_poll(impl_->rk, 10);
      continue;
    }
    const std::string error = rd_kafka_err2str(err);
    log::warn("kafka produce failed", {{"topic", message.topic}, {"error", error}});
    if (pending->on_delivery) pending->on_delivery(false, error);
    return;
  }
}

bool Producer::produce_and_wait(std::vector<OutgoingMessage> messages,
                                std::chrono::milliseconds timeout, std::string* error) {
  struct Batch {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t remaining = 0;
    bool ok = true;
    std::string first_error;
  };
  // Shared: callbacks may still arrive after we gave up waiting.
  auto batch = std::make_shared<Batch>();
  batch->remaining = messages.size();
  for (auto& message : messages) {
    produce(std::move(message), [batch](bool delivered, const std::string& why) {
      std::lock_guard lock(batch->mutex);
      if (!delivered && batch->ok) {
        batch->ok = false;
        batch->first_error = why;
      }
      if (--batch->remaining == 0) batch->done.notify_all();
    });
  }
  std::unique_lock lock(batch->mutex);
  const bool finished = batch->done.wait_for(lock, timeout, [&] { return batch->remaining == 0; });
  if (!finished) {
    if (error != nullptr) *error = "timed out waiting for delivery";
    return false;
  }
  if (!batch->ok && error != nullptr) *error = batch->first_error;
  return batch->ok;
}

bool Producer::flush(std::chrono::milliseconds timeout) {
  return rd_kafka_flush(impl_->rk, static_cast<int>(timeout.count())) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool Producer::reachable(std::chrono::milliseconds timeout) {
  const struct rd_kafka_metadata* metadata = nullptr;
  const auto err =
      rd_kafka_metadata(impl_->rk, 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return false;
  const bool any_broker = metadata->broker_cnt > 0;
  rd_kafka_metadata_destroy(metadata);
  return any_broker;
}

std::map<std::string, std::string> Producer::effective_config() const {
  return detail::dump_config(impl_->rk);
}

}  // namespace commerce::bus
