// bench-noise: how steady this machine's CPU is, to read the frame-time figures against. Runs a
// fixed unit of arithmetic 30,000 times on one thread and prints how often a unit took more than
// twice the median, and the longest stretch of such units. On a quiet machine both are near
// zero; on a shared virtual machine the host slows the virtual CPUs for tens of milliseconds at a
// time, which is what puts a frame over 16 ms even though its work did not change.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  using Clock = std::chrono::steady_clock;
  const int kUnits = 30000;   // about 5 s here
  std::vector<double> ms(kUnits);
  volatile double sink = 0;
  for (int u = 0; u < kUnits; u++) {
    auto t0 = Clock::now();
    double x = 0;
    for (int i = 0; i < 200000; i++) x += i * 0.5;
    sink = sink + x;
    ms[u] = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  }
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  double median = sorted[kUnits / 2];
  int slow = 0;
  double stretch = 0, longest = 0;
  for (double t : ms) {
    if (t > 2 * median) {
      slow++;
      stretch += t;
      longest = std::max(longest, stretch);
    } else {
      stretch = 0;
    }
  }
  printf("bench-noise: %d units of fixed work on one thread\n", kUnits);
  printf("  unit time  median %.3f ms  p99 %.3f ms  max %.3f ms\n", median, sorted[kUnits * 99 / 100], sorted.back());
  printf("  units slower than 2x the median: %d (%.1f %%); longest stretch of them %.1f ms\n", slow,
         100.0 * slow / kUnits, longest);
  return 0;
}
