#include "rdkafka_util.hpp"

#include <stdexcept>

#include "commerce/log/log.hpp"

namespace commerce::bus::detail {
namespace {

void log_from_librdkafka(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  // syslog levels: 0..3 error, 4 warning, 5..6 notice/info, 7 debug.
  const log::Level ours = level <= 3   ? log::Level::error
                          : level == 4 ? log::Level::warn
                          : level <= 6 ? log::Level::info
                                       : log::Level::debug;
  log::write(ours, text,
             {{"component", "librdkafka"}, {"facility", facility}, {"client", rd_kafka_name(rk)}});
}

}  // namespace

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
      RD_KAFKA_CONF_OK) {
    throw std::invalid_argument("kafka: property " + name + "=" + value + ": " + error);
  }
}

ConfPtr make_conf(const BusConfig& config,
                  const std::vector<std::pair<std::string, std::string>>& defaults) {
  ConfPtr conf(rd_kafka_conf_new());
  if (config.brokers.empty()) throw std::invalid_argument("kafka: no brokers configured");
  set(conf.get(), "bootstrap.servers", config.brokers);
  if (!config.client_id.empty()) set(conf.get(), "client.id", config.client_id);
  for (const auto& [name, value] : defaults) set(conf.get(), name, value);
  for (const auto& [name, value] : config.properties) set(conf.get(), name, value);
  rd_kafka_conf_set_log_cb(conf.get(), &log_from_librdkafka);
  return conf;
}

rd_kafka_t* create_handle(rd_kafka_type_t type, ConfPtr conf) {
  char error[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), error, sizeof error);
  if (rk == nullptr) throw std::runtime_error(std::string("kafka: cannot create client: ") + error);
  conf.release();  // rd_kafka_new owns it now
  return rk;
}

std::vector<std::pair<std::string, std::string>> copy_headers(const rd_kafka_message_t* m) {
  std::vector<std::pair<std::string, std::string>> out;
  rd_kafka_headers_t* headers = nullptr;
  // The headers belong to the message; copy them before it is destroyed.
  if (rd_kafka_message_headers(m, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    out.emplace_back(name, value != nullptr ? std::string(static_cast<const char*>(value), size)
                                            : std::string());
  }
  return out;
}

std::map<std::string, std::string> dump_config(rd_kafka_t* rk) {
  std::map<std::string, std::string> out;
  auto collect = [&out](const char** pairs, size_t count) {
    for (size_t i = 0; i + 1 < count; i += 2) out[pairs[i]] = pairs[i + 1];
  };
  // A copy: the handle's own configuration is not ours to hand to the dump functions.
  ConfPtr copy(rd_kafka_conf_dup(rd_kafka_conf(rk)));
  size_t count = 0;
  const char** pairs = rd_kafka_conf_dump(copy.get(), &count);
  collect(pairs, count);
  rd_kafka_conf_dump_free(pairs, count);
  // Topic-level properties (acks among them) live in the default topic configuration.
  if (rd_kafka_topic_conf_t* topic = rd_kafka_conf_get_default_topic_conf(copy.get())) {
    pairs = rd_kafka_topic_conf_dump(topic, &count);
    collect(pairs, count);
    rd_kafka_conf_dump_free(pairs, count);
  }
  return out;
}

}  // namespace commerce::bus::detail
