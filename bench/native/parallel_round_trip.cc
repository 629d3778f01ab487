// Times one parallel_for round trip of the CPU thread pool (hand the workers an empty chunk each and
// wait for them) after a given idle gap, the cost every parallel region of every kernel pays on top of
// its work. Medians of 2,000 round trips.
//   npm run build:check
//   g++ -O3 -std=c++17 -pthread -I. bench/native/parallel_round_trip.cc build/libwsr_kernels.a -o /tmp/round_trip
//   /tmp/round_trip [THREADS=2]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "cpu/parallel.h"

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  wsr::cpu::set_num_threads(threads);
  using clock = std::chrono::steady_clock;
  std::printf("%d threads: median parallel_for round trip after an idle gap\n", threads);
  for (int gap_us : {0, 20, 50, 200, 1000}) {
    std::vector<double> times;
    for (int i = 0; i < 2000; ++i) {
      const auto idle_until = clock::now() + std::chrono::microseconds(gap_us);
      while (clock::now() < idle_until) {
      }
      const auto start = clock::now();
      wsr::cpu::parallel_for(threads, [](int64_t, int64_t) {});
      times.push_back(std::chrono::duration<double, std::micro>(clock::now() - start).count());
    }
    std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
    std::printf("  gap %5d us: %6.1f us\n", gap_us, times[times.size() / 2]);
  }
}
