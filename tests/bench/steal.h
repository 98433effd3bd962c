// The host's share of this machine's CPU time over a measurement ("steal": time a virtual CPU was
// ready to run but the hypervisor ran something else). Frame-time figures are read against it.
#pragma once

#include <cstdio>

struct CpuTicks {
  long long total = 0, steal = 0;
};

// The first line of /proc/stat: user nice system idle iowait irq softirq steal ... (all CPUs).
inline CpuTicks cpu_ticks() {
  CpuTicks t;
  long long v[8] = {};
  if (FILE* f = fopen("/proc/stat", "r")) {
    if (fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
               &v[7]) == 8) {
      for (long long x : v) t.total += x;
      t.steal = v[7];
    }
    fclose(f);
  }
  return t;
}

inline double steal_percent(const CpuTicks& from, const CpuTicks& to) {
  long long total = to.total - from.total;
  return total > 0 ? 100.0 * (double)(to.steal - from.steal) / (double)total : 0.0;
}
