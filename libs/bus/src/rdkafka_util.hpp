#pragma once
// Shared librdkafka plumbing for the producer and the consumer (private to commerce::bus).
#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "commerce/bus/kafka.hpp"

namespace commerce::bus::detail {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* c) const { rd_kafka_conf_destroy(c); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* l) const {
    rd_kafka_topic_partition_list_destroy(l);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

// Sets one property; a bad name or value is a configuration error and throws
// std::invalid_argument naming it (we crash at start-up on bad configuration).
void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value);

// bootstrap.servers, client.id, our defaults (in order), then config.properties, plus a log
// callback that routes librdkafka's own lines through commerce::log.
ConfPtr make_conf(const BusConfig& config,
                  const std::vector<std::pair<std::string, std::string>>& defaults);

// rd_kafka_new, throwing std::runtime_error with librdkafka's reason. Takes the conf.
rd_kafka_t* create_handle(rd_kafka_type_t type, ConfPtr conf);

std::vector<std::pair<std::string, std::string>> copy_headers(const rd_kafka_message_t* m);

// The handle's configuration as librdkafka resolved it: global and default topic properties.
std::map<std::string, std::string> dump_config(rd_kafka_t* rk);

}  // namespace commerce::bus::detail
