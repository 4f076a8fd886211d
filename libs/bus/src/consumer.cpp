#include <algorithm>
#include <atomic>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <thread>

#include "commerce/bus/kafka.hpp"
#include "commerce/core/thread_name.hpp"
#include "commerce/log/log.hpp"
#include "consumer_metrics.hpp"
#include "rdkafka_util.hpp"

namespace commerce::bus {
namespace {

using Clock = std::chrono::steady_clock;
using TopicPartition = std::pair<std::string, std::int32_t>;

constexpr auto kPollSlice = std::chrono::milliseconds(100);

std::string describe(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

// How one handler call ended.
enum class Outcome { handled, transient, permanent };

}  // namespace

struct Consumer::Impl {
  BusConfig config;
  ConsumerOptions options;
  BatchHandler handler;
  Producer& dead_letters;

  rd_kafka_t* rk = nullptr;
  std::thread poller;
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> running{false};
  bool started = false;
  bool closed = false;

  // Poll-thread state (the rebalance callback runs on the poll thread too).
  std::set<TopicPartition> assigned;
  std::map<TopicPartition, std::int64_t> handled;  // next offset to commit, per partition
  std::deque<Message> stash;  // polled while the batch in hand was being retried

  std::unique_ptr<detail::ConsumerMetrics> metrics;  // null without options.metrics
  Clock::time_point lag_refreshed{};
  // batch_interval: when the last batch was handed on, and the arrival rate that switches it on.
  Clock::time_point last_gathered{};
  Clock::time_point rate_since{};
  std::size_t arrived_since = 0;
  bool under_load = false;

  Impl(const BusConfig& c, ConsumerOptions o, BatchHandler h, Producer& dlq)
      : config(c), options(std::move(o)), handler(std::move(h)), dead_letters(dlq) {}

  // ---- librdkafka callbacks -------------------------------------------------------------

  static void on_rebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<Impl*>(opaque)->rebalance(rk, err, partitions);
  }

  void rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(handle), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (int i = 0; i < partitions->cnt; ++i) {
        assigned.emplace(partitions->elems[i].topic, partitions->elems[i].partition);
      }
      log::info("kafka partitions assigned", {{"group", options.group},
                                              {"count", std::to_string(partitions->cnt)},
                                              {"protocol", cooperative ? "cooperative" : "eager"}});
      if (cooperative) {
        if (auto* error = rd_kafka_incremental_assign(handle, partitions)) {
          log::error("kafka incremental assign failed", {{"error", rd_kafka_error_string(error)}});
          rd_kafka_error_destroy(error);
        }
      } else {
        rd_kafka_assign(handle, partitions);
      }
      return;
    }
    if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
      // Commit what is done before someone else takes these partitions over; when the
      // assignment was lost (session timed out) the commit would be rejected anyway.
      if (!rd_kafka_assignment_lost(handle)) commit_handled(partitions, /*async=*/false);
      for (int i = 0; i < partitions->cnt; ++i) {
        const TopicPartition tp{partitions->elems[i].topic, partitions->elems[i].partition};
        assigned.erase(tp);
        handled.erase(tp);
        if (metrics) metrics->lag(tp.first, tp.second, 0);
      }
      log::info("kafka partitions revoked",
                {{"group", options.group}, {"count", std::to_string(partitions->cnt)}});
      if (cooperative) {
        if (auto* error = rd_kafka_incremental_unassign(handle, partitions)) {
          log::error("kafka incremental unassign failed",
                     {{"error", rd_kafka_error_string(error)}});
          rd_kafka_error_destroy(error);
        }
      } else {
        rd_kafka_assign(handle, nullptr);
      }
      return;
    }
    log::error("kafka rebalance error", {{"error", rd_kafka_err2str(err)}});
    assigned.clear();
    rd_kafka_assign(handle, nullptr);
  }

  static void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* offsets, void*) {
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET) return;
    // Harmless: the messages come again and the inbox skips them.
    log::warn("kafka offset commit failed", {{"error", rd_kafka_err2str(err)}});
  }

  static void on_error(rd_kafka_t* handle, int err, const char* reason, void*) {
    log::warn("kafka consumer error",
              {{"code", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
               {"error", reason},
               {"client", rd_kafka_name(handle)}});
  }

  // ---- set-up -----------------------------------------------------------------------------

  void create() {
    if (options.group.empty()) throw std::invalid_argument("kafka consumer: no group");
    if (options.topics.empty()) throw std::invalid_argument("kafka consumer: no topics");
    if (options.dead_letter_topic.empty()) {
      // Without one a poison message could only be dropped or block its partition forever.
      throw std::invalid_argument("kafka consumer: no dead-letter topic");
    }
    if (options.max_batch == 0) options.max_batch = 1;
    if (options.lanes == 0) options.lanes = 1;
    if (options.backoff_initial.count() <= 0)
      options.backoff_initial = std::chrono::milliseconds(1);
    if (options.backoff_max < options.backoff_initial)
      options.backoff_max = options.backoff_initial;

    auto conf = detail::make_conf(config, {{"group.id", options.group},
                                           {"enable.auto.commit", "false"},
                                           {"enable.auto.offset.store", "false"},
                                           {"auto.offset.reset", "earliest"},
                                           // Never see aborted transactional writes (our
                                           // producers are idempotent, not transactional).
                                           {"isolation.level", "read_committed"},
                                           {"allow.auto.create.topics", "true"},
                                           {"topic.metadata.refresh.interval.ms", "1000"},
                                           {"session.timeout.ms", "6000"},
                                           {"heartbeat.interval.ms", "1000"},
                                           {"enable.partition.eof", "false"},
                                           // The default (500 ms) makes every hop of a saga
                                           // wait on the broker; the fleet is latency-bound.
                                           {"fetch.wait.max.ms", "5"},
                                           {"socket.nagle.disable", "true"}});
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_rebalance_cb(conf.get(), &Impl::on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf.get(), &Impl::on_commit);
    rd_kafka_conf_set_error_cb(conf.get(), &Impl::on_error);
    rk = detail::create_handle(RD_KAFKA_CONSUMER, std::move(conf));
    rd_kafka_poll_set_consumer(rk);

    if (options.metrics != nullptr) {
      metrics = std::make_unique<detail::ConsumerMetrics>(*options.metrics, options.topics,
                                                          options.message_types);
    }
  }

  void subscribe() {
    detail::PartitionListPtr topics(
        rd_kafka_topic_partition_list_new(static_cast<int>(options.topics.size())));
    for (const auto& topic : options.topics) {
      rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (const auto err = rd_kafka_subscribe(rk, topics.get())) {
      throw std::runtime_error(std::string("kafka consumer: subscribe failed: ") +
                               rd_kafka_err2str(err));
    }
  }

  // ---- the poll thread ----------------------------------------------------------------

  void run() {
    while (!stop_requested.load()) {
      std::vector<Message> batch = gather();
      if (!batch.empty()) process(std::move(batch));  // finishes even when a stop arrived
      // Also when idle: idle partitions get their lag series too (0, or what a stalled fetch
      // leaves behind).
      refresh_lag();
    }
    shut_down();
    running = false;
  }

  // One message or none; errors from the broker are logged, never handed on.
  std::optional<Message> poll_one(std::chrono::milliseconds timeout) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, static_cast<int>(timeout.count()));
    if (m == nullptr) return std::nullopt;
    std::optional<Message> out;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      const bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
      log::write(eof ? log::Level::debug : log::Level::warn, "kafka consumer poll error",
                 {{"topic", m->rkt != nullptr ? rd_kafka_topic_name(m->rkt) : ""},
                  {"error", rd_kafka_message_errstr(m)}});
    } else {
      Message message;
      message.topic = rd_kafka_topic_name(m->rkt);
      message.partition = m->partition;
      message.offset = m->offset;
      if (m->key != nullptr) message.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload != nullptr) {
        message.value.assign(static_cast<const char*>(m->payload), m->len);
      }
      message.headers = detail::copy_headers(m);
      out = std::move(message);
    }
    rd_kafka_message_destroy(m);  // we keep copies only: nothing outlives close()
    return out;
  }

  std::vector<Message> gather() {
    std::vector<Message> batch;
    while (!stash.empty() && batch.size() < options.max_batch) {
      if (assigned.count({stash.front().topic, stash.front().partition}) != 0) {
        batch.push_back(std::move(stash.front()));
      }
      stash.pop_front();
    }
    if (batch.empty()) {
      auto first = poll_one(kPollSlice);
      if (!first) {
        note_arrivals(0, Clock::now());
        return batch;
      }
      batch.push_back(std::move(*first));
    }
    // Waits at most batch_wait for more, or under load until batch_interval has passed since the
    // last batch if that is later; past it, takes only what is already fetched. The wait is
    // rounded up: truncating 0.9 ms to a 0 ms poll made this loop spin on the clock.
    auto deadline = Clock::now() + options.batch_wait;
    if (under_load) deadline = std::max(deadline, last_gathered + options.batch_interval);
    while (batch.size() < options.max_batch) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      auto next = poll_one(std::max(left, std::chrono::milliseconds(0)));
      if (!next) break;
      batch.push_back(std::move(*next));
    }
    last_gathered = Clock::now();
    note_arrivals(batch.size(), last_gathered);
    return batch;
  }

  // Once a second: under load when at least four messages came per batch_interval.
  void note_arrivals(std::size_t count, Clock::time_point now) {
    if (options.batch_interval.count() == 0) return;
    arrived_since += count;
    if (now - rate_since < std::chrono::seconds(1)) return;
    under_load =
        options.batch_interval * static_cast<long>(arrived_since) >= 4 * (now - rate_since);
    rate_since = now;
    arrived_since = 0;
  }

  Outcome call(std::span<const Message> messages, std::string* error) {
    const auto started_at = Clock::now();
    Outcome outcome = Outcome::handled;
    try {
      handler(messages);
    } catch (const TransientError& e) {
      *error = e.what();
      outcome = Outcome::transient;
    } catch (...) {
      *error = describe(std::current_exception());
      outcome = Outcome::permanent;
    }
    if (metrics) {
      metrics->batch_took(std::chrono::duration<double>(Clock::now() - started_at).count());
    }
    return outcome;
  }

  // Metrics calls that do nothing without a registry.
  template <class F>
  void count(F f) {
    if (metrics) f(*metrics);
  }

  // Drops messages whose partition was revoked while we held them: the new owner redelivers.
  void keep_assigned(std::vector<Message>& batch) {
    std::erase_if(batch, [&](const Message& m) {
      return assigned.count({m.topic, m.partition}) == 0;
    });
  }

  // Pauses the assigned partitions while a batch is retried, so polling (which keeps us in the
  // group) fetches nothing new; resumes them when the batch is settled.
  class PauseGuard {
   public:
    explicit PauseGuard(Impl& impl) : impl_(impl) {}
    ~PauseGuard() {
      if (paused_) rd_kafka_resume_partitions(impl_.rk, paused_.get());
    }
    void engage() {
      if (paused_) return;
      rd_kafka_topic_partition_list_t* current = nullptr;
      if (rd_kafka_assignment(impl_.rk, &current) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
      paused_.reset(current);
      rd_kafka_pause_partitions(impl_.rk, paused_.get());
    }

   private:
    Impl& impl_;
    detail::PartitionListPtr paused_;
  };

  // Polls (for liveness in the group) for `wait`; false if a stop was requested.
  bool back_off(std::chrono::milliseconds wait) {
    const auto until = Clock::now() + wait;
    while (Clock::now() < until) {
      if (stop_requested.load()) return false;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - Clock::now());
      if (auto m = poll_one(std::clamp(left, std::chrono::milliseconds(0), kPollSlice))) {
        stash.push_back(std::move(*m));
      }
      refresh_lag();  // a consumer stuck on a failing batch shows its lag growing
    }
    return !stop_requested.load();
  }

  std::chrono::milliseconds next_backoff(std::chrono::milliseconds current) const {
    return std::min(current * 2, options.backoff_max);
  }

  struct Attempt {
    Outcome outcome = Outcome::handled;
    std::string error;
  };

  // Splits a batch into lanes by partition (a partition stays in one lane, in offset order).
  std::vector<std::vector<Message>> lanes_of(std::vector<Message>& batch) const {
    std::vector<std::vector<Message>> lanes(options.lanes);
    for (auto& m : batch) {
      const auto lane =
          (std::hash<std::string>{}(m.topic) * 31 + static_cast<std::size_t>(m.partition)) %
          options.lanes;
      lanes[lane].push_back(std::move(m));
    }
    std::erase_if(lanes, [](const auto& lane) { return lane.empty(); });
    return lanes;
  }

  // Lanes are handled concurrently, each in its own transaction, so an agent waiting on the
  // database for one partition's messages keeps the others moving. A lane that failed then goes
  // through the serial path (retry with backoff, or replay and dead-letter) on this thread.
  void process(std::vector<Message> batch) {
    keep_assigned(batch);
    if (batch.empty()) return;
    if (options.lanes <= 1) return process_serial(std::move(batch), std::nullopt);
    auto lanes = lanes_of(batch);
    if (lanes.size() == 1) return process_serial(std::move(lanes[0]), std::nullopt);

    std::vector<Attempt> attempts(lanes.size());
    {
      std::vector<std::jthread> helpers;
      for (std::size_t i = 1; i < lanes.size(); ++i) {
        helpers.emplace_back([&, i] {
          core::name_this_thread("bus-lane");
          attempts[i].outcome = call(lanes[i], &attempts[i].error);
        });
      }
      attempts[0].outcome = call(lanes[0], &attempts[0].error);
    }  // joins the helpers
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      if (attempts[i].outcome != Outcome::handled) continue;
      count([&](auto& m) { m.consumed(lanes[i]); });
      mark_handled(lanes[i]);
    }
    for (std::size_t i = 0; i < lanes.size(); ++i) {
      if (attempts[i].outcome == Outcome::handled) continue;
      if (stop_requested.load()) break;  // left uncommitted: redelivered later
      process_serial(std::move(lanes[i]), std::move(attempts[i]));
    }
    commit_handled(nullptr, /*async=*/true);
  }

  // `first`: the outcome of an attempt already made on this batch.
  void process_serial(std::vector<Message> batch, std::optional<Attempt> first) {
    PauseGuard pause(*this);
    auto backoff = options.backoff_initial;
    for (;;) {
      keep_assigned(batch);
      if (batch.empty()) return;
      std::string error;
      Outcome outcome;
      if (first) {
        outcome = first->outcome;
        error = std::move(first->error);
        first.reset();
      } else {
        outcome = call(batch, &error);
      }
      switch (outcome) {
        case Outcome::handled:
          count([&](auto& m) { m.consumed(batch); });
          mark_handled(batch);
          commit_handled(nullptr, /*async=*/true);
          return;
        case Outcome::transient:
          log::warn("batch failed transiently, retrying",
                    {{"group", options.group},
                     {"messages", std::to_string(batch.size())},
                     {"backoff_ms", std::to_string(backoff.count())},
                     {"error", error}});
          count([&](auto& m) { m.failed(batch, /*transient=*/true); });
          pause.engage();
          // A stop during retries leaves the batch uncommitted: it is redelivered later.
          if (!back_off(backoff)) return;
          count([&](auto& m) { m.retried(batch); });
          backoff = next_backoff(backoff);
          continue;
        case Outcome::permanent:
          log::warn("batch failed, replaying one message at a time",
                    {{"group", options.group},
                     {"messages", std::to_string(batch.size())},
                     {"error", error}});
          replay_one_by_one(batch, pause);
          commit_handled(nullptr, /*async=*/true);
          return;
      }
    }
  }

  void replay_one_by_one(std::vector<Message>& batch, PauseGuard& pause) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Message& message = batch[i];
      auto backoff = options.backoff_initial;
      for (;;) {
        if (assigned.count({message.topic, message.partition}) == 0) break;  // revoked
        std::string error;
        const Outcome outcome = call(std::span<const Message>(&message, 1), &error);
        const std::span<const Message> one(&message, 1);
        if (outcome == Outcome::handled) {
          count([&](auto& m) { m.consumed(one); });
          mark_handled(std::span<const Message>(&message, 1));
          break;
        }
        count([&](auto& m) { m.failed(one, outcome == Outcome::transient); });
        if (outcome == Outcome::permanent && dead_letter(message, error)) {
          count([&](auto& m) { m.dead_lettered(message); });
          mark_handled(std::span<const Message>(&message, 1));
          break;
        }
        // Transient failure, or the dead-letter copy could not be written: never skip.
        pause.engage();
        if (!back_off(backoff)) return;
        count([&](auto& m) { m.retried(one); });
        backoff = next_backoff(backoff);
      }
    }
  }

  bool dead_letter(const Message& message, const std::string& error) {
    OutgoingMessage copy;
    copy.topic = options.dead_letter_topic;
    copy.key = message.key;
    copy.value = message.value;
    copy.headers = message.headers;
    copy.headers.emplace_back(kDlqError, error);
    copy.headers.emplace_back(kDlqTopic, message.topic);
    copy.headers.emplace_back(kDlqPartition, std::to_string(message.partition));
    copy.headers.emplace_back(kDlqOffset, std::to_string(message.offset));
    std::string why;
    std::vector<OutgoingMessage> one;
    one.push_back(std::move(copy));
    // Bounded well below max.poll.interval.ms; on failure the caller backs off and retries.
    if (!dead_letters.produce_and_wait(std::move(one), std::chrono::seconds(30), &why)) {
      log::error("dead-lettering failed, will retry",
                 {{"topic", message.topic},
                  {"partition", std::to_string(message.partition)},
                  {"offset", std::to_string(message.offset)},
                  {"error", why}});
      return false;
    }
    log::warn("message dead-lettered", {{"topic", message.topic},
                                        {"partition", std::to_string(message.partition)},
                                        {"offset", std::to_string(message.offset)},
                                        {"dead_letter_topic", options.dead_letter_topic},
                                        {"error", error}});
    return true;
  }

  void mark_handled(std::span<const Message> messages) {
    for (const auto& m : messages) {
      auto& next = handled[{m.topic, m.partition}];
      next = std::max(next, m.offset + 1);
    }
  }

  // Commits the handled offsets (of `only` partitions when given).
  void commit_handled(const rd_kafka_topic_partition_list_t* only, bool async) {
    detail::PartitionListPtr offsets(rd_kafka_topic_partition_list_new(8));
    for (const auto& [tp, next] : handled) {
      if (only != nullptr &&
          rd_kafka_topic_partition_list_find(only, tp.first.c_str(), tp.second) == nullptr) {
        continue;
      }
      rd_kafka_topic_partition_list_add(offsets.get(), tp.first.c_str(), tp.second)->offset = next;
    }
    if (offsets->cnt == 0) return;
    const auto err = rd_kafka_commit(rk, offsets.get(), async ? 1 : 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::warn("kafka offset commit failed", {{"error", rd_kafka_err2str(err)}});
    }
  }

  // At most once a second: it walks every assigned partition, and the poll loop runs per batch.
  void refresh_lag() {
    if (!metrics) return;
    const auto now = Clock::now();
    if (now - lag_refreshed < std::chrono::seconds(1)) return;
    lag_refreshed = now;
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(rk, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return;
    detail::PartitionListPtr current(raw);
    rd_kafka_position(rk, current.get());
    for (int i = 0; i < current->cnt; ++i) {
      const auto& p = current->elems[i];
      std::int64_t low = 0, high = 0;
      // Cached values from the last fetch: no network round trip.
      if (rd_kafka_get_watermark_offsets(rk, p.topic, p.partition, &low, &high) !=
              RD_KAFKA_RESP_ERR_NO_ERROR ||
          high < 0) {
        continue;
      }
      const std::int64_t position = p.offset >= 0 ? p.offset : low;
      metrics->lag(p.topic, p.partition, std::max<std::int64_t>(0, high - position));
    }
  }

  void shut_down() {
    commit_handled(nullptr, /*async=*/false);
    stash.clear();
    // Leave the assignment before closing: closing while a rebalance is still assigning trips
    // librdkafka's assert in rd_kafka_cgrp_terminated (confluentinc/librdkafka#4792; an
    // orchestration stopped just as a second instance joined died by SIGABRT). Unsubscribing
    // revokes through the rebalance callback, served by polling; messages polled meanwhile are
    // not handled, so not committed: the next owner gets them.
    if (rd_kafka_unsubscribe(rk) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const auto deadline = Clock::now() + std::chrono::seconds(5);
      while (Clock::now() < deadline) {
        rd_kafka_topic_partition_list_t* raw = nullptr;
        const bool settled = assigned.empty() &&
                             rd_kafka_assignment(rk, &raw) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                             raw->cnt == 0;
        if (raw != nullptr) rd_kafka_topic_partition_list_destroy(raw);
        if (settled) break;
        (void)poll_one(std::chrono::milliseconds(50));
      }
    }
    // Leaves the group; the revoke callback runs in here and commits again (harmless).
    if (const auto err = rd_kafka_consumer_close(rk)) {
      log::warn("kafka consumer close failed", {{"error", rd_kafka_err2str(err)}});
    }
    closed = true;
  }
};

Consumer::Consumer(const BusConfig& config, ConsumerOptions options, BatchHandler handler,
                   Producer& dead_letters)
    : impl_(std::make_unique<Impl>(config, std::move(options), std::move(handler), dead_letters)) {
  impl_->create();
}

Consumer::~Consumer() { stop(); }

void Consumer::start() {
  if (impl_->started) return;
  impl_->subscribe();
  impl_->started = true;
  impl_->running = true;
  impl_->poller = std::thread([impl = impl_.get()] {
    core::name_this_thread("bus-consume");
    impl->run();
  });
}

void Consumer::stop() {
  impl_->stop_requested = true;
  // From a handler (the poll thread itself): the loop ends after this batch; the owner's
  // stop() or destructor does the rest.
  if (impl_->poller.joinable() && impl_->poller.get_id() == std::this_thread::get_id()) return;
  if (impl_->poller.joinable()) impl_->poller.join();
  if (impl_->rk == nullptr) return;
  if (!impl_->closed) impl_->shut_down();  // never started: still leave cleanly
  rd_kafka_destroy(impl_->rk);
  impl_->rk = nullptr;
  impl_->running = false;
}

bool Consumer::running() const { return impl_->running.load(); }

std::map<std::string, std::string> Consumer::effective_config() const {
  if (impl_->rk == nullptr) throw std::logic_error("kafka consumer: already closed");
  return detail::dump_config(impl_->rk);
}

}  // namespace commerce::bus
