// fleetctl: runs the fleet on this machine (./fleet up | demo | bench call it).
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "commerce/stack/stack.hpp"

namespace fleetctl {

std::string data_dir(const Flags& flags) {
  auto it = flags.find("data");
  return it != flags.end() ? it->second : commerce::stack::source_dir() + "/.fleet";
}

long flag_int(const Flags& flags, const std::string& name, long fallback) {
  auto it = flags.find(name);
  if (it == flags.end()) return fallback;
  char* end = nullptr;
  const long v = std::strtol(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || v < 0)
    throw std::invalid_argument("--" + name + ": expected a non-negative integer, got '" +
                                it->second + "'");
  return v;
}

commerce::stack::BrokerKind broker_kind(const Flags& flags) {
  auto it = flags.find("broker");
  if (it == flags.end()) return commerce::stack::broker_kind_from_env();
  return commerce::stack::parse_broker_kind(it->second);
}

}  // namespace fleetctl

namespace {

void usage() {
  std::cerr << "usage: fleetctl <command> [flags]\n"
               "  up     [--data DIR]                      run the fleet until Ctrl-C\n"
               "  demo   [--data DIR] [--orders N] [--ports fixed|free] [--hold-file PATH]\n"
               "                                           the demo scenario (default 300 orders)\n"
               "  bench  [--rate R] [--seconds S] [--warmup W] [--warmup-max M] [--statements N]\n"
               "         open-loop load (300/s, 30 s, warm-up 5 s; on Kafka at least 30 s and\n"
               "         up to M=180 while the broker's JIT still compiles);\n"
               "         N: also the top N PostgreSQL statements per order\n"
               "  status                                   which agents of `up` answer /readyz\n"
               "  topics [--file PATH] [--brokers B]       apply deploy/topics.json (idempotent)\n"
               "up, demo and bench take --broker dev|kafka: the development broker (default) or a\n"
               "local Apache Kafka (KRaft; jars from Maven Central via mvn).\n"
               "  saga list [--stuck] [--state S] [--limit N]   sagas, newest first\n"
               "  saga retry <id>                          send the current step's command again\n"
               "  saga compensate <id>                     undo what was done, cancel the order\n"
               "  dlq list <agent> [--all]                 dead letters not yet redriven (--all: "
               "every one)\n"
               "  dlq redrive <agent> [--dry-run] [--limit N]  back to their original topics\n"
               "saga and dlq find the fleet of `up` (<data>/fleet.json), or take "
               "--url/ORCHESTRATION_URL,\n"
               "--token/OPERATOR_TOKEN and --brokers/KAFKA_BROKERS.\n"
               "  logs   --trace ID [--dir D] [--json]    one trace's log lines from every\n"
               "                                           agent, in time order (ID: trace id or\n"
               "                                           traceparent; D: <data>/logs)\n"
               "Environment: DATABASE_URL and KAFKA_BROKERS use an existing PostgreSQL and Kafka;\n"
               "FLEET_BROKER=dev|kafka is the default for --broker; PG_PORT moves the embedded\n"
               "PostgreSQL (default 55432).\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  const std::string command = argv[1];
  fleetctl::Flags flags;
  std::vector<std::string> args;  // words after the command (saga, dlq)
  const bool takes_args = command == "saga" || command == "dlq";
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      if (takes_args) {
        args.push_back(arg);
        continue;
      }
      std::cerr << "fleetctl: unexpected argument '" << arg << "'\n";
      usage();
      return 2;
    }
    arg = arg.substr(2);
    if (arg == "stuck" || arg == "dry-run" || arg == "all" || arg == "json") {
      flags[arg] = "true";  // switches take no value
    } else if (auto eq = arg.find('='); eq != std::string::npos) {
      flags[arg.substr(0, eq)] = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      flags[arg] = argv[++i];
    } else {
      std::cerr << "fleetctl: --" << arg << " needs a value\n";
      return 2;
    }
  }
  try {
    if (command == "up") return fleetctl::run_up(flags);
    if (command == "demo") return fleetctl::run_demo(flags);
    if (command == "bench") return fleetctl::run_bench(flags);
    if (command == "status") return fleetctl::run_status(flags);
    if (command == "topics") return fleetctl::run_topics(flags);
    if (command == "saga") return fleetctl::run_saga(args, flags);
    if (command == "dlq") return fleetctl::run_dlq(args, flags);
    if (command == "logs") return fleetctl::run_logs(flags);
    if (command == "help" || command == "--help" || command == "-h") {
      usage();
      return 0;
    }
    std::cerr << "fleetctl: unknown command '" << command << "'\n";
    usage();
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fleetctl " << command << ": " << e.what() << std::endl;
    return 1;
  }
}
