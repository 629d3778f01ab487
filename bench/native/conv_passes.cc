// Times the CPU conv passes (forward, input gradient, weight gradient) at the paper's layer shapes,
// straight on the kernels (no Node.js): medians of REPS calls after two warm-ups; on one thread it
// reports the thread's CPU time, which other work on the machine disturbs less than wall time.
//   npm run build:check
//   g++ -O3 -std=c++17 -pthread -I. bench/native/conv_passes.cc build/libwsr_kernels.a -o /tmp/conv_passes
//   /tmp/conv_passes [THREADS=2] [BATCH=128] [REPS=15] [LAYER-SUBSTRING]
// To compare with an earlier version of the kernels, build the same program with that version's
// cpu/conv.cc object listed before the library (git show REV:cpu/conv.cc > /tmp/conv_old.cc, compiled
// with -I. -Icpu): the linker then takes its conv2d_* instead of the library's.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "cpu/conv.h"
#include "cpu/parallel.h"

namespace {

double thread_cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

struct Layer {
  const char* name;
  int c, h, k, kernel, stride;
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2, batch = argc > 2 ? std::atoi(argv[2]) : 128;
  const int reps = argc > 3 ? std::atoi(argv[3]) : 15;
  const char* only = argc > 4 ? argv[4] : nullptr;
  wsr::cpu::set_num_threads(threads);
  const Layer layers[] = {{"cifar.conv1", 3, 32, 64, 5, 2},   {"cifar.conv2", 64, 14, 128, 5, 2},
                          {"cifar.conv3", 128, 5, 256, 3, 1}, {"mnist.conv1", 1, 28, 32, 3, 2},
                          {"mnist.conv2", 32, 13, 64, 3, 2},  {"mnist.conv3", 64, 6, 128, 3, 1}};
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::printf("%d thread(s), batch %d, median of %d (%s)\n", threads, batch, reps,
              threads == 1 ? "thread CPU time" : "wall time");
  for (const Layer& l : layers) {
    if (only && !std::strstr(l.name, only)) continue;
    const int o = (l.h - l.kernel) / l.stride + 1;
    const wsr::WindowGeometry g{batch, l.c, l.h, l.h, l.k, l.kernel, l.kernel, l.stride, l.stride, 0, 0, o, o};
    std::vector<float> x(g.input_size()), w(g.conv_weight_size()), b(g.k), dy(g.output_size()), y(g.output_size()),
        dx(x.size()), dw(w.size()), db(b.size());
    for (auto* v : {&x, &w, &b, &dy})
      for (float& e : *v) e = uniform(rng);
    const double gflop = 2.0 * static_cast<double>(g.output_size()) * static_cast<double>(g.patch_size()) / 1e9;
    auto median_ms = [&](auto pass) {
      std::vector<double> t;
      for (int r = 0; r < reps + 2; ++r) {
        const double c0 = thread_cpu_ms();
        const auto t0 = std::chrono::steady_clock::now();
        pass();
        t.push_back(threads == 1 ? thread_cpu_ms() - c0
                                 : std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      t.erase(t.begin(), t.begin() + 2);
      std::sort(t.begin(), t.end());
      return t[t.size() / 2];
    };
    const double f = median_ms([&] { wsr::cpu::conv2d_forward(g, x.data(), w.data(), b.data(), y.data()); });
    const double bi = median_ms([&] { wsr::cpu::conv2d_backward_input(g, dy.data(), w.data(), dx.data()); });
    const double bw = median_ms([&] { wsr::cpu::conv2d_backward_weight(g, x.data(), dy.data(), dw.data(), db.data()); });
    std::printf("%-12s forward %7.3f ms %6.1f GFLOP/s | input grad %7.3f ms %6.1f | weight grad %7.3f ms %6.1f\n", l.name,
                f, gflop / f * 1e3, bi, gflop / bi * 1e3, bw, gflop / bw * 1e3);
  }
}
