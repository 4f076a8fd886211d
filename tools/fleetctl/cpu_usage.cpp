#include "cpu_usage.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <unordered_map>
#include <vector>

namespace fleetctl {

std::optional<ProcessStat> parse_proc_stat(const std::string& stat, long ticks_per_second) {
  const auto open = stat.find('(');
  const auto close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ProcessStat out;
  try {
    out.pid = std::stoi(stat.substr(0, open));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  // After the name: state(3) ppid(4) ... utime(14) stime(15).
  std::istringstream rest(stat.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f && fields.size() < 13;) fields.push_back(f);
  if (fields.size() < 13) return std::nullopt;
  try {
    out.ppid = std::stoi(fields[1]);
    out.cpu_seconds = static_cast<double>(std::stoull(fields[11]) + std::stoull(fields[12])) /
                      static_cast<double>(ticks_per_second);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return out;
}

std::string process_group(const std::string& cmdline) {
  const std::string argv0 = cmdline.substr(0, cmdline.find('\0'));
  if (argv0.rfind("postgres: ", 0) == 0) {
    // Backends title themselves "postgres: <role> <database> ..."; auxiliaries "postgres: <what>".
    std::istringstream words(argv0.substr(10));
    std::string first, second;
    words >> first >> second;
    if (first == "background" || first == "autovacuum" || first == "logical" ||
        first == "walwriter" || first == "checkpointer" || first == "walsender" || second.empty())
      return "postgres (background)";
    return "postgres " + first;
  }
  const auto slash = argv0.rfind('/');
  const std::string name = slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
  return name.empty() ? "?" : name;
}

namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

struct TreeEntry {
  ProcessStat stat;
  std::string group;
};

// This process and its descendants, by pid.
std::unordered_map<int, TreeEntry> process_tree() {
  const long ticks = sysconf(_SC_CLK_TCK);
  std::unordered_map<int, TreeEntry> all;
  std::error_code ec;
  for (const auto& dir : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = dir.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    auto stat = parse_proc_stat(read_all(dir.path() / "stat"), ticks);
    if (!stat) continue;  // gone meanwhile
    all[stat->pid] = {*stat, process_group(read_all(dir.path() / "cmdline"))};
  }
  const int self = getpid();
  std::unordered_map<int, TreeEntry> ours;
  for (const auto& [pid, entry] : all) {
    // Ours when an ancestor is this process (bounded walk: pid 1 ends it).
    bool mine = pid == self;
    for (int p = entry.stat.ppid, hops = 0; !mine && p > 1 && hops < 64; ++hops) {
      if (p == self) mine = true;
      auto parent = all.find(p);
      if (parent == all.end()) break;
      p = parent->second.stat.ppid;
    }
    if (mine) ours.emplace(pid, entry);
  }
  return ours;
}

}  // namespace

CpuByGroup sample_cpu_tree() {
  const int self = getpid();
  CpuByGroup out;
  for (const auto& [pid, entry] : process_tree()) {
    out[pid == self ? "load generator (fleetctl)" : entry.group] += entry.stat.cpu_seconds;
  }
  return out;
}

bool is_jit_compiler_thread(const std::string& thread_name) {
  return thread_name.rfind("C1 CompilerThre", 0) == 0 ||
         thread_name.rfind("C2 CompilerThre", 0) == 0;
}

double jit_compiler_seconds() {
  const long ticks = sysconf(_SC_CLK_TCK);
  double total = 0;
  for (const auto& [pid, entry] : process_tree()) {
    if (entry.group != "java") continue;
    std::error_code ec;
    const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
      std::string comm = read_all(task.path() / "comm");
      while (!comm.empty() && comm.back() == '\n') comm.pop_back();
      if (!is_jit_compiler_thread(comm)) continue;
      if (auto stat = parse_proc_stat(read_all(task.path() / "stat"), ticks)) {
        total += stat->cpu_seconds;
      }
    }
  }
  return total;
}

CpuByGroup cpu_spent(const CpuByGroup& before, const CpuByGroup& after) {
  CpuByGroup out;
  for (const auto& [group, seconds] : after) {
    auto b = before.find(group);
    out[group] = seconds - (b == before.end() ? 0.0 : b->second);
  }
  return out;
}

std::optional<MachineTicks> parse_machine_ticks(const std::string& proc_stat) {
  std::istringstream lines(proc_stat);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("cpu ", 0) != 0) continue;
    std::istringstream fields(line.substr(4));
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    unsigned long long v[8];
    for (auto& x : v) {
      if (!(fields >> x)) return std::nullopt;
    }
    return MachineTicks{v[0] + v[1] + v[2] + v[5] + v[6], v[3] + v[4], v[7]};
  }
  return std::nullopt;
}

std::optional<MachineTicks> sample_machine_ticks() {
  return parse_machine_ticks(read_all("/proc/stat"));
}

std::string describe_machine_cpu(const MachineTicks& before, const MachineTicks& after) {
  const auto delta = [](unsigned long long a, unsigned long long b) {
    return b >= a ? static_cast<double>(b - a) : 0.0;
  };
  const double busy = delta(before.busy, after.busy);
  const double idle = delta(before.idle, after.idle);
  const double steal = delta(before.steal, after.steal);
  const double total = busy + idle + steal;
  if (total <= 0) return "no CPU time elapsed";
  // /proc/stat counts every CPU: the total over the interval is cores x interval.
  const double cores = static_cast<double>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  std::ostringstream out;
  out << std::fixed << std::setprecision(2) << "busy " << busy / total * cores << ", idle "
      << idle / total * cores << ", steal " << steal / total * cores << " of "
      << static_cast<int>(cores) << " cores";
  return out.str();
}

}  // namespace fleetctl
