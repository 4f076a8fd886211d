// Child processes for the embedded stack. Every fork happens on one long-lived spawner thread:
// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, so forking from a
// short-lived test thread would kill the child early. The spawner lives until the process dies,
// and then takes every child with it.
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "commerce/stack/stack.hpp"

extern char** environ;

namespace commerce::stack {
namespace {

// Everything the child needs, prepared before fork: after fork only async-signal-safe calls.
struct SpawnPlan {
  std::string path;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string log_file;
  bool drop_privileges = false;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
};

[[noreturn]] void child_fail(const char* what) {
  const char* err = strerror(errno);
  (void)!write(2, what, strlen(what));
  (void)!write(2, ": ", 2);
  (void)!write(2, err, strlen(err));
  (void)!write(2, "\n", 1);
  _exit(127);
}

int fork_exec(const SpawnPlan& plan) {
  std::vector<char*> argv;
  for (const auto& a : plan.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& e : plan.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) return -errno;
  if (pid > 0) return pid;

  // Child.
  if (!plan.log_file.empty()) {
    int fd = open(plan.log_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) child_fail("open log file");
    if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) child_fail("dup2");
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
  }
  if (plan.drop_privileges) {
    if (setgroups(plan.groups.size(), plan.groups.data()) < 0) child_fail("setgroups");
    if (setgid(plan.gid) < 0) child_fail("setgid");
    if (setuid(plan.uid) < 0) child_fail("setuid");
    if (chdir("/") < 0) child_fail("chdir");
  }
  // After setuid: a credential change clears the parent-death signal.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) child_fail("prctl");
  if (getppid() != parent) _exit(1);  // the parent died before prctl took effect
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  close_range(3, ~0U, 0);
  execve(plan.path.c_str(), argv.data(), envp.data());
  child_fail(plan.path.c_str());
}

class Spawner {
 public:
  static Spawner& instance() {
    // Leaked on purpose: the thread is detached and must outlive static destruction.
    static Spawner* spawner = new Spawner();
    return *spawner;
  }

  int spawn(const SpawnPlan& plan) {
    Request request{&plan};
    std::unique_lock lock(mutex_);
    queue_.push_back(&request);
    wake_.notify_all();
    done_.wait(lock, [&] { return request.done; });
    return request.result;
  }

 private:
  struct Request {
    const SpawnPlan* plan;
    bool done = false;
    int result = 0;
  };

  Spawner() {
    std::thread([this] { run(); }).detach();
  }

  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return !queue_.empty(); });
      Request* request = queue_.front();
      queue_.pop_front();
      request->result = fork_exec(*request->plan);
      request->done = true;
      done_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<Request*> queue_;
};

std::string find_executable(const std::string& name, const std::string& path_var) {
  if (name.find('/') != std::string::npos) return name;
  std::size_t start = 0;
  while (start <= path_var.size()) {
    std::size_t end = path_var.find(':', start);
    if (end == std::string::npos) end = path_var.size();
    std::string dir = path_var.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error("executable not found on PATH: " + name);
}

}  // namespace

Process::Process(std::vector<std::string> argv, std::map<std::string, std::string> env,
                 std::string log_file, std::string run_as) {
  if (argv.empty()) throw std::invalid_argument("Process: empty argv");
  SpawnPlan plan;
  std::map<std::string, std::string> merged;
  for (char** e = environ; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string::npos) continue;
    merged[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (auto& [k, v] : env) merged[k] = v;
  for (auto& [k, v] : merged) plan.env.push_back(k + "=" + v);
  plan.path = find_executable(argv[0], merged.count("PATH") ? merged["PATH"] : "/usr/bin:/bin");
  plan.argv = std::move(argv);
  plan.log_file = std::move(log_file);

  if (!run_as.empty() && geteuid() == 0) {
    struct passwd* pw = getpwnam(run_as.c_str());
    if (!pw) throw std::runtime_error("Process: no such user: " + run_as);
    plan.drop_privileges = true;
    plan.uid = pw->pw_uid;
    plan.gid = pw->pw_gid;
    int count = 32;
    plan.groups.resize(count);
    if (getgrouplist(run_as.c_str(), plan.gid, plan.groups.data(), &count) < 0) {
      plan.groups.resize(count);
      getgrouplist(run_as.c_str(), plan.gid, plan.groups.data(), &count);
    }
    plan.groups.resize(count);
  }

  int result = Spawner::instance().spawn(plan);
  if (result < 0) {
    throw std::runtime_error("Process: fork failed: " + std::string(strerror(-result)));
  }
  pid_ = result;
}

Process::~Process() {
  if (alive()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

bool Process::alive() {
  if (status_ || pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  if (r == pid_) {
    status_ = status;
  } else {
    status_ = -1;  // not our child any more (should not happen)
  }
  return false;
}

void Process::signal(int sig) {
  if (alive()) ::kill(pid_, sig);
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (alive()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::optional<int> Process::stop(std::chrono::milliseconds grace) {
  if (alive()) {
    ::kill(pid_, SIGTERM);
    if (!wait(grace)) {
      ::kill(pid_, SIGKILL);
      wait(std::chrono::seconds(10));
    }
  }
  return status_;
}

}  // namespace commerce::stack
