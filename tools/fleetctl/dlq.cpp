// fleetctl dlq list | redrive <agent>: the agent's dead-letter topic (commerce.<agent>.dlq).
// redrive sends each dead letter back to the topic it came from (its dlq.original.topic header)
// with its key, value and headers minus the dlq.* ones, waits for the broker's ack, and only then
// commits its offset in the group "<agent>-dlq-redrive". A crash in between sends a message again
// at most; the agents' inbox (keyed by the envelope id) drops the repeat. It reads up to the end
// each partition had when it started, so messages dead-lettered meanwhile wait for the next run.
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "commands.hpp"
#include "commerce/bus/kafka.hpp"
#include "commerce/bus/topics.hpp"
#include "running_fleet.hpp"

namespace fleetctl {

namespace {

using namespace std::chrono_literals;

struct DeadLetter {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;  // all of them, dlq.* included

  std::optional<std::string> header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return std::nullopt;
  }
};

struct KafkaDeleter {
  void operator()(rd_kafka_t* rk) const {
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
  }
};
struct ListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, ListDeleter>;

// A consumer of one DLQ topic in the redrive group, assigned (no group rebalance) from the
// group's committed offsets up to each partition's end at the start.
class DeadLetterReader {
 public:
  DeadLetterReader(const std::string& brokers, const std::string& group, std::string topic,
                   bool from_start)
      : topic_(std::move(topic)) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    auto set = [&](const char* k, const std::string& v) {
      if (rd_kafka_conf_set(conf, k, v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
        throw std::runtime_error(std::string(k) + ": " + err);
    };
    set("bootstrap.servers", brokers);
    set("group.id", group);
    set("client.id", "fleetctl-" + group);
    set("enable.auto.commit", "false");
    set("enable.auto.offset.store", "false");
    set("auto.offset.reset", "earliest");
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
      rd_kafka_conf_destroy(conf);
      throw std::runtime_error(std::string("kafka consumer: ") + err);
    }
    rd_kafka_poll_set_consumer(rk);
    rk_.reset(rk);

    const auto partitions = partition_count();
    if (partitions == 0) return;  // no such topic yet: nothing was ever dead-lettered
    PartitionList list(rd_kafka_topic_partition_list_new(partitions));
    for (int p = 0; p < partitions; ++p)
      rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p);
    if (auto e = rd_kafka_committed(rk, list.get(), 10000); e != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw std::runtime_error(std::string("committed offsets: ") + rd_kafka_err2str(e));
    for (int i = 0; i < list->cnt; ++i) {
      auto& tp = list->elems[i];
      std::int64_t low = 0, high = 0;
      if (auto e = rd_kafka_query_watermark_offsets(rk, topic_.c_str(), tp.partition, &low, &high,
                                                    10000);
          e != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw std::runtime_error(std::string("watermarks: ") + rd_kafka_err2str(e));
      const std::int64_t start = from_start || tp.offset < 0 ? low : std::max(tp.offset, low);
      tp.offset = start;
      if (start < high) end_[tp.partition] = high;
    }
    if (end_.empty()) return;
    if (auto e = rd_kafka_assign(rk, list.get()); e != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw std::runtime_error(std::string("assign: ") + rd_kafka_err2str(e));
  }

  // The next dead letter below the end, or nullopt once every partition reached its end.
  std::optional<DeadLetter> next() {
    auto last_progress = std::chrono::steady_clock::now();
    while (!end_.empty()) {
      rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_.get(), 200);
      if (!m) {
        if (std::chrono::steady_clock::now() - last_progress > 30s)
          throw std::runtime_error("no message from " + topic_ + " in 30 s");
        continue;
      }
      std::unique_ptr<rd_kafka_message_t, void (*)(rd_kafka_message_t*)> guard(
          m, rd_kafka_message_destroy);
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      if (m->err) throw std::runtime_error(std::string("consume: ") + rd_kafka_message_errstr(m));
      last_progress = std::chrono::steady_clock::now();
      auto end = end_.find(m->partition);
      if (end == end_.end() || m->offset >= end->second) continue;  // after our snapshot
      if (m->offset + 1 >= end->second) end_.erase(end);
      DeadLetter d;
      d.partition = m->partition;
      d.offset = m->offset;
      if (m->key) d.key.assign(static_cast<const char*>(m->key), m->key_len);
      if (m->payload) d.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* headers = nullptr;
      if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char* name;
        const void* value;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(headers, i, &name, &value, &size); ++i)
          d.headers.emplace_back(
              name, value ? std::string(static_cast<const char*>(value), size) : std::string());
      }
      return d;
    }
    return std::nullopt;
  }

  // Done with everything up to and including `d`.
  void commit(const DeadLetter& d) {
    PartitionList list(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), d.partition)->offset =
        d.offset + 1;
    if (auto e = rd_kafka_commit(rk_.get(), list.get(), 0); e != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw std::runtime_error(std::string("commit: ") + rd_kafka_err2str(e));
  }

 private:
  int partition_count() {
    rd_kafka_topic_t* t = rd_kafka_topic_new(rk_.get(), topic_.c_str(), nullptr);
    const rd_kafka_metadata_t* md = nullptr;
    auto e = rd_kafka_metadata(rk_.get(), 0, t, &md, 10000);
    rd_kafka_topic_destroy(t);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
      throw std::runtime_error(std::string("metadata: ") + rd_kafka_err2str(e));
    int count = 0;
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
      count = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return count;
  }

  std::unique_ptr<rd_kafka_t, KafkaDeleter> rk_;
  std::string topic_;
  std::map<std::int32_t, std::int64_t> end_;  // partition -> end offset still to reach
};

std::string brokers_of(const Flags& flags) {
  const auto brokers = running_fleet(flags).brokers;
  if (brokers.empty())
    throw std::runtime_error("no broker: run `./fleet up`, or set KAFKA_BROKERS or --brokers");
  return brokers;
}

std::string group_of(const std::string& agent) { return agent + "-dlq-redrive"; }

void print(const DeadLetter& d) {
  std::cout << "partition " << d.partition << " offset " << d.offset << " type "
            << d.header("type").value_or("-") << " from "
            << d.header(commerce::bus::kDlqTopic).value_or("-") << " error "
            << d.header(commerce::bus::kDlqError).value_or("-") << "\n";
}

int list(const std::string& agent, const Flags& flags) {
  DeadLetterReader reader(brokers_of(flags), group_of(agent), commerce::bus::topics::dlq(agent),
                          flags.count("all") > 0);
  while (auto d = reader.next()) print(*d);
  return 0;
}

int redrive(const std::string& agent, const Flags& flags) {
  const bool dry_run = flags.count("dry-run") > 0;
  const long limit = flag_int(flags, "limit", 0);  // 0: no limit
  const auto brokers = brokers_of(flags);
  DeadLetterReader reader(brokers, group_of(agent), commerce::bus::topics::dlq(agent), false);
  std::unique_ptr<commerce::bus::Producer> producer;
  if (!dry_run)
    producer = std::make_unique<commerce::bus::Producer>(
        commerce::bus::BusConfig{brokers, "fleetctl-" + group_of(agent), {}});
  long redriven = 0, skipped = 0;
  while (limit == 0 || redriven < limit) {
    auto d = reader.next();
    if (!d) break;
    const auto original = d->header(commerce::bus::kDlqTopic);
    if (!original || original->empty()) {
      // Not written by our consumer: left for a person to look at, never guessed at.
      std::cerr << "skipped partition " << d->partition << " offset " << d->offset << ": no "
                << commerce::bus::kDlqTopic << " header\n";
      ++skipped;
      if (!dry_run) reader.commit(*d);
      continue;
    }
    if (dry_run) {
      print(*d);
      ++redriven;
      continue;
    }
    commerce::bus::OutgoingMessage message{*original, d->key, d->value, {}};
    for (const auto& [k, v] : d->headers)
      if (k.rfind("dlq.", 0) != 0) message.headers.emplace_back(k, v);
    std::vector<commerce::bus::OutgoingMessage> one;
    one.push_back(std::move(message));
    std::string error;
    if (!producer->produce_and_wait(std::move(one), 30s, &error))
      throw std::runtime_error("republishing offset " + std::to_string(d->offset) + " to " +
                               *original + " failed: " + error);
    reader.commit(*d);  // only after the broker has the copy
    ++redriven;
  }
  nlohmann::json summary{{"redriven", redriven}, {"skipped", skipped}};
  if (dry_run) summary["dry_run"] = true;
  std::cout << summary.dump() << std::endl;
  return 0;
}

}  // namespace

int run_dlq(const std::vector<std::string>& args, const Flags& flags) {
  if (args.size() == 2 && args[0] == "list") return list(args[1], flags);
  if (args.size() == 2 && args[0] == "redrive") return redrive(args[1], flags);
  std::cerr << "usage: fleetctl dlq list <agent> [--all]\n"
               "       fleetctl dlq redrive <agent> [--dry-run] [--limit N]\n";
  return 2;
}

}  // namespace fleetctl
