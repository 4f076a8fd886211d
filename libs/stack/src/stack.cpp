// Utilities, the embedded PostgreSQL cluster and the development broker.
#include "commerce/stack/stack.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "commerce/store/store.hpp"

#ifndef COMMERCE_DEFAULT_BIN_DIR
#define COMMERCE_DEFAULT_BIN_DIR "bin"
#endif
#ifndef COMMERCE_DEFAULT_SOURCE_DIR
#define COMMERCE_DEFAULT_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;

namespace commerce::stack {

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds interval) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);
  }
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("free_port: socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) < 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) < 0) {
    ::close(fd);
    throw std::runtime_error("free_port: bind failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string unique_name(const std::string& prefix) {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  std::uint32_t r;
  {
    std::lock_guard lock(mutex);
    r = static_cast<std::uint32_t>(rng());
  }
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", r);
  std::string name;
  for (char c : prefix) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name + "_" + hex;
}

std::string bin_dir() {
  const char* v = std::getenv("COMMERCE_BIN_DIR");
  return v && *v ? v : COMMERCE_DEFAULT_BIN_DIR;
}

std::string source_dir() {
  const char* v = std::getenv("COMMERCE_SOURCE_DIR");
  return v && *v ? v : COMMERCE_DEFAULT_SOURCE_DIR;
}

std::string tail_of(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "(no log at " + path + ")";
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_bytes) s = "..." + s.substr(s.size() - max_bytes);
  return s;
}

namespace {

std::string postgres_bin_dir() {
  if (fs::exists("/usr/lib/postgresql/15/bin/postgres")) return "/usr/lib/postgresql/15/bin";
  if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r")) {
    char buf[512];
    std::string out;
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    ::pclose(p);
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (!out.empty() && fs::exists(out + "/postgres")) return out;
  }
  return "";  // rely on PATH
}

std::string pg_tool(const std::string& name) {
  static const std::string dir = postgres_bin_dir();
  return dir.empty() ? name : dir + "/" + name;
}

std::string make_temp_dir(const std::string& prefix) {
  std::string pattern = "/tmp/" + prefix + "-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (!::mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
  std::string dir(buf.data());
  ::chmod(dir.c_str(), 0755);  // the postgres user must traverse it
  return dir;
}

bool running_as_root() { return ::geteuid() == 0; }

void hand_to_postgres_user(const std::string& path) {
  if (!running_as_root()) return;
  struct passwd* pw = ::getpwnam("postgres");
  if (!pw) throw std::runtime_error("running as root but there is no `postgres` user");
  if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) < 0) {
    throw std::runtime_error("chown " + path + " to postgres failed");
  }
}

bool status_ok(const std::optional<int>& status) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// EmbeddedPostgres

EmbeddedPostgres::EmbeddedPostgres() : EmbeddedPostgres(Options{}) {}

EmbeddedPostgres::EmbeddedPostgres(Options options) : options_(std::move(options)) {}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    stop();
  } catch (...) {
  }
  server_.reset();
  std::error_code ec;
  if (own_dir_ && !root_dir_.empty()) fs::remove_all(root_dir_, ec);
  if (own_socket_dir_) fs::remove_all(socket_dir_, ec);
}

std::string EmbeddedPostgres::admin_url(const std::string& database) const {
  return store::postgres_url("postgres", "", socket_dir_, std::to_string(port_), database);
}

std::string EmbeddedPostgres::admin_tcp_url(const std::string& database) const {
  return store::postgres_url("postgres", "", "127.0.0.1", std::to_string(port_), database);
}

std::string EmbeddedPostgres::log_tail() const { return tail_of(log_file_); }

void EmbeddedPostgres::initdb() {
  std::vector<std::string> argv{
      pg_tool("initdb"), "-D", options_.data_dir, "-U", "postgres", "--auth=trust", "-E", "UTF8",
      "--locale=C"};
  if (!options_.durable) argv.push_back("--no-sync");
  Process p(argv, {{"LC_ALL", "C"}}, log_file_, "postgres");
  auto status = p.wait(std::chrono::seconds(120));
  if (!status_ok(status)) {
    p.stop(std::chrono::seconds(1));
    throw std::runtime_error("initdb failed in " + options_.data_dir + ":\n" + log_tail());
  }
}

void EmbeddedPostgres::start() {
  if (running_) return;
  if (options_.data_dir.empty()) {
    root_dir_ = make_temp_dir("commerce-pg");
    own_dir_ = true;
    options_.data_dir = root_dir_ + "/data";
  }
  if (log_file_.empty()) {
    log_file_ = own_dir_ ? root_dir_ + "/server.log" : options_.data_dir + ".log";
  }
  if (!fs::exists(fs::path(options_.data_dir) / "PG_VERSION")) {
    fs::create_directories(options_.data_dir);
    hand_to_postgres_user(options_.data_dir);
    ::chmod(options_.data_dir.c_str(), 0700);
    initdb();
  }

  if (socket_dir_.empty()) {
    // A socket's path must fit in sun_path, which a data folder deep in a checkout may not, and
    // the setting is a list that would need quoting for commas or blanks.
    socket_dir_ = fs::absolute(options_.data_dir).lexically_normal().string();
    const bool plain = socket_dir_.find_first_not_of(
                           "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_.-") ==
                       std::string::npos;
    const std::size_t longest_name = std::string("/.s.PGSQL.65535.lock").size();
    if (!plain || socket_dir_.size() + longest_name >= sizeof(sockaddr_un{}.sun_path)) {
      socket_dir_ = make_temp_dir("commerce-pgsock");
      hand_to_postgres_user(socket_dir_);
      own_socket_dir_ = true;
    }
  }

  const bool pick_port = options_.port == 0 && port_ == 0;
  if (port_ == 0) port_ = options_.port ? options_.port : free_port();

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    std::vector<std::string> argv{pg_tool("postgres"),
                                  "-D",
                                  options_.data_dir,
                                  "-c",
                                  "listen_addresses=127.0.0.1",
                                  "-c",
                                  "port=" + std::to_string(port_),
                                  "-c",
                                  "unix_socket_directories=" + socket_dir_,
                                  "-c",
                                  "max_connections=" + std::to_string(options_.max_connections),
                                  "-c",
                                  "shared_buffers=128MB"};
    // Tables start empty and grow fast; prepared statements keep the plan made while a table was
    // tiny until ANALYZE sees it grown. Autovacuum looks every 5 s instead of every minute.
    // ANALYZE only after 5000 changed rows and half the table again: at the default (50 rows and
    // a tenth) every growing table was analysed at each look, a tenth of PostgreSQL's CPU under
    // load sorting samples, and every analysed table's cached plans were made again.
    argv.insert(argv.end(),
                {"-c", "autovacuum_naptime=5s", "-c", "autovacuum_analyze_threshold=5000", "-c",
                 "autovacuum_analyze_scale_factor=0.5"});
    // Group commit, as deploy/generate.py sets for Compose: a commit waits 200 us for others
    // (when two more transactions are open) so they share one WAL flush. Still durable.
    argv.insert(argv.end(), {"-c", "commit_delay=200", "-c", "commit_siblings=2"});
    if (!options_.durable) {
      for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
        argv.push_back("-c");
        argv.push_back(setting);
      }
    }
    // Extra server settings for profiling, e.g. FLEET_PG_SETTINGS="log_min_duration_statement=50".
    if (const char* extra = std::getenv("FLEET_PG_SETTINGS")) {
      std::istringstream settings(extra);
      for (std::string setting; settings >> setting;) {
        argv.push_back("-c");
        argv.push_back(setting);
      }
    }
    server_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{{"LC_ALL", "C"}},
                                        log_file_, "postgres");
    const std::string url = admin_url() + "?connect_timeout=2";
    bool up = wait_until(
        [&] {
          if (!server_->alive()) return true;  // exited: stop waiting, decide below
          try {
            pqxx::connection c(url);
            return true;
          } catch (const std::exception&) {
            return false;
          }
        },
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                              std::chrono::steady_clock::now()),
        std::chrono::milliseconds(50));
    if (up && server_->alive()) break;
    // It exited (or never answered). After a crash the old backends may still hold the shared
    // memory for a moment, and a port picked by us may have been taken: try again until the
    // deadline.
    server_->stop(std::chrono::seconds(5));
    server_.reset();
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("PostgreSQL did not start on port " + std::to_string(port_) +
                               " (data " + options_.data_dir + "):\n" + log_tail());
    }
    if (pick_port && tail_of(log_file_, 2000).find("could not bind") != std::string::npos) {
      port_ = free_port();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // back off before retrying
  }
  running_ = true;
}

void EmbeddedPostgres::stop() {
  if (!server_) {
    running_ = false;
    return;
  }
  // SIGINT is PostgreSQL's fast shutdown (what pg_ctl stop -m fast sends).
  server_->signal(SIGINT);
  if (!server_->wait(std::chrono::seconds(60))) {
    server_->signal(SIGKILL);
    server_->wait(std::chrono::seconds(10));
  }
  server_.reset();
  running_ = false;
}

void EmbeddedPostgres::kill() {
  if (server_) {
    server_->signal(SIGKILL);
    server_->wait(std::chrono::seconds(10));
    server_.reset();
  }
  running_ = false;
}

void EmbeddedPostgres::restart() {
  if (running_) stop();
  start();
}

EmbeddedPostgres& EmbeddedPostgres::shared() {
  static std::mutex mutex;
  static EmbeddedPostgres instance([] {
    Options o;
    o.durable = false;
    return o;
  }());
  std::lock_guard lock(mutex);
  if (!instance.running()) instance.start();
  return instance;
}

// ---------------------------------------------------------------------------------------------
// DevBroker

DevBroker::DevBroker() = default;

DevBroker::~DevBroker() {
  try {
    stop();
  } catch (...) {
  }
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

void DevBroker::start() {
  if (process_ && process_->alive()) return;
  if (dir_.empty()) dir_ = make_temp_dir("commerce-broker");
  const std::string file = dir_ + "/bootstrap";
  const std::string log = dir_ + "/broker.log";
  std::error_code ec;
  fs::remove(file, ec);
  const std::string exe = bin_dir() + "/dev-broker";
  if (::access(exe.c_str(), X_OK) != 0) {
    throw std::runtime_error("dev broker not built: " + exe + " (build target dev-broker)");
  }
  std::vector<std::string> argv{exe, "--bootstrap-file", file};
  // The declared topics exist from the start, with their partition counts as the stack applies
  // them, as on a real broker after provisioning (the mock cluster cannot create topics through
  // the Admin API).
  if (fs::exists(topic_plan_path())) {
    std::string topics;
    for (const auto& t : local_topic_plan()) {
      topics += (topics.empty() ? "" : ",") + t.name + ":" + std::to_string(t.partitions);
    }
    if (!topics.empty()) {
      argv.push_back("--topics");
      argv.push_back(topics);
    }
  }
  process_ = std::make_unique<Process>(argv, std::map<std::string, std::string>{}, log);
  std::string previous;
  bool ready = wait_until(
      [&] {
        if (!process_->alive()) return true;
        std::string content = tail_of(file, 1 << 16);
        if (!fs::exists(file) || content.empty()) return false;
        // Complete once it ends the line, or reads the same twice in a row.
        bool complete = content.back() == '\n' || content == previous;
        previous = content;
        return complete;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(20));
  if (!ready || !process_->alive()) {
    process_->stop(std::chrono::seconds(2));
    process_.reset();
    throw std::runtime_error("dev broker did not start:\n" + tail_of(log));
  }
  std::string content = tail_of(file, 1 << 16);
  std::string line = content.substr(0, content.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  const std::string prefix = "bootstrap=";
  if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
  bootstrap_ = line;
}

void DevBroker::stop() {
  if (process_) {
    process_->stop(std::chrono::seconds(10));
    process_.reset();
  }
}

DevBroker& DevBroker::shared() {
  static std::mutex mutex;
  static DevBroker instance;
  std::lock_guard lock(mutex);
  if (!instance.process_ || !instance.process_->alive()) instance.start();
  return instance;
}

}  // namespace commerce::stack
