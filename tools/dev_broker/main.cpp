// dev-broker: a development broker for tests and ./fleet. It runs librdkafka's built-in mock
// cluster, which speaks the Kafka protocol on loopback (produce, fetch, consumer groups,
// offsets, idempotent producer), so no JVM or Docker is needed on a developer machine.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

struct Options {
  int brokers = 1;
  int partitions = 4;
  std::vector<std::pair<std::string, int>> topics;  // name, partitions (0: --partitions)
  std::string bootstrap_file;
};

void usage(std::ostream& out) {
  out << "usage: dev-broker [--brokers N] [--topics a,b:P,c] [--partitions P]\n"
         "                  [--bootstrap-file PATH]\n"
         "\n"
         "Runs a development broker: an in-process Kafka-protocol cluster on loopback (the\n"
         "librdkafka mock cluster). Not for production: data lives in memory only.\n"
         "\n"
         "  --brokers N            number of brokers (default 1)\n"
         "  --topics a,b:P,c       topics to create up front; name:P gives one its own\n"
         "                         partition count (deploy/topics.json, as the fixture passes)\n"
         "  --partitions P         partitions of those topics (default 4); topics created on\n"
         "                         first use get the mock cluster's default partition count\n"
         "  --bootstrap-file PATH  also write the bootstrap address to PATH (atomically)\n"
         "\n"
         "Prints \"bootstrap=<host:port,...>\" on stdout once ready; stops on SIGTERM/SIGINT.\n";
}

int parse_positive(const std::string& flag, const std::string& text) {
  char* end = nullptr;
  const long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1 || value > 1000) {
    std::cerr << "dev-broker: " << flag << " needs a number from 1 to 1000, got '" << text << "'\n";
    std::exit(2);
  }
  return static_cast<int>(value);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      usage(std::cout);
      std::exit(0);
    }
    if (i + 1 >= argc) {
      std::cerr << "dev-broker: unknown or incomplete option '" << arg << "'\n";
      usage(std::cerr);
      std::exit(2);
    }
    const std::string value = argv[++i];
    if (arg == "--brokers") {
      options.brokers = parse_positive(arg, value);
    } else if (arg == "--partitions") {
      options.partitions = parse_positive(arg, value);
    } else if (arg == "--topics") {
      std::stringstream list(value);
      std::string topic;
      while (std::getline(list, topic, ',')) {
        if (topic.empty()) continue;
        // Topic names cannot contain ':', so the last one separates a partition count.
        const auto colon = topic.rfind(':');
        if (colon == std::string::npos) {
          options.topics.emplace_back(topic, 0);
        } else {
          options.topics.emplace_back(topic.substr(0, colon),
                                      parse_positive(arg, topic.substr(colon + 1)));
        }
      }
    } else if (arg == "--bootstrap-file") {
      options.bootstrap_file = value;
    } else {
      std::cerr << "dev-broker: unknown option '" << arg << "'\n";
      usage(std::cerr);
      std::exit(2);
    }
  }
  return options;
}

bool write_atomically(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);

  // Block the stop signals before librdkafka starts its threads (they inherit the mask), so
  // sigwait below is the only place they are received.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the mock cluster: errors only in its log.
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  rd_kafka_t* host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (host == nullptr) {
    std::cerr << "dev-broker: cannot create client: " << error << "\n";
    return 1;
  }
  rd_kafka_mock_cluster_t* cluster = rd_kafka_mock_cluster_new(host, options.brokers);
  if (cluster == nullptr) {
    std::cerr << "dev-broker: cannot start the mock cluster\n";
    rd_kafka_destroy(host);
    return 1;
  }
  for (const auto& [topic, partitions] : options.topics) {
    const auto err = rd_kafka_mock_topic_create(cluster, topic.c_str(),
                                                partitions ? partitions : options.partitions,
                                                std::min(options.brokers, 3));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      std::cerr << "dev-broker: cannot create topic " << topic << ": " << rd_kafka_err2str(err)
                << "\n";
      rd_kafka_mock_cluster_destroy(cluster);
      rd_kafka_destroy(host);
      return 1;
    }
  }

  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster);
  if (!options.bootstrap_file.empty() && !write_atomically(options.bootstrap_file, bootstrap)) {
    std::cerr << "dev-broker: cannot write " << options.bootstrap_file << ": "
              << std::strerror(errno) << "\n";
    rd_kafka_mock_cluster_destroy(cluster);
    rd_kafka_destroy(host);
    return 1;
  }
  std::cout << "bootstrap=" << bootstrap << std::endl;  // endl flushes: readers wait on it

  int received = 0;
  sigwait(&stop_signals, &received);
  std::cerr << "dev-broker: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ", stopping\n";

  rd_kafka_mock_cluster_destroy(cluster);
  rd_kafka_destroy(host);
  return 0;
}
