#pragma once
// CPU time of this process and everything it started (agents, PostgreSQL backends, the broker),
// grouped by what each process is, so the bench can say where the CPU per order goes.
#include <map>
#include <optional>
#include <string>

namespace fleetctl {

struct ProcessStat {
  int pid = 0;
  int ppid = 0;
  double cpu_seconds = 0;  // user + system, all threads
};

// Parses /proc/<pid>/stat; the command name is in parentheses and may hold spaces.
std::optional<ProcessStat> parse_proc_stat(const std::string& stat, long ticks_per_second);

// "postgres: order_agent commerce 127.0.0.1(5432) idle" -> "postgres order_agent";
// "/x/bin/order-agent\0--flag" -> "order-agent"; the JVM's java -> "java".
std::string process_group(const std::string& cmdline);

// CPU seconds per group for this process and its descendants, now.
using CpuByGroup = std::map<std::string, double>;
CpuByGroup sample_cpu_tree();

// A JVM thread that compiles bytecode ("C1 CompilerThre", "C2 CompilerThre": the kernel keeps 15
// characters of a thread's name).
bool is_jit_compiler_thread(const std::string& thread_name);

// CPU seconds the JIT compilers of this process's descendant JVMs (Apache Kafka) have used, now.
double jit_compiler_seconds();

// after - before, per group (groups that vanished count as zero).
CpuByGroup cpu_spent(const CpuByGroup& before, const CpuByGroup& after);

// The whole machine's CPU time in ticks, from the "cpu " line of /proc/stat. On a virtual machine
// steal is time the hypervisor gave this machine's vCPUs to others: a run with much of it was
// measured on a slower machine, whatever the fleet did.
struct MachineTicks {
  unsigned long long busy = 0;  // user, nice, system, irq, softirq
  unsigned long long idle = 0;  // idle and iowait
  unsigned long long steal = 0;
};
std::optional<MachineTicks> parse_machine_ticks(const std::string& proc_stat);
std::optional<MachineTicks> sample_machine_ticks();
// "busy 1.62, idle 0.31, steal 0.07 of 2 cores": each share of the interval, in cores.
std::string describe_machine_cpu(const MachineTicks& before, const MachineTicks& after);

}  // namespace fleetctl
