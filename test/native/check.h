// The kernel check program: every CUDA kernel against its CPU twin on fresh random inputs, and
// timings of both. Each check_<family>.cc registers its checks with WSR_CHECK; main.cc runs them.
// Usage: wsr_kernel_check [--filter substring] [--reps N] [--cpu-only]
#pragma once
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#ifdef WSR_WITH_CUDA
#include "cuda/implicit_gemm.h"
#include "cuda/runtime.h"
#endif

namespace wsr::check {

struct Context {
  bool cuda = false;  // a usable GPU: compare CUDA against CPU
  int reps = 10;      // timing repeats (median reported)
  std::mt19937_64 rng;
  int failures = 0;
};

using CheckFn = void (*)(Context&);
struct Check {
  const char* name;
  CheckFn fn;
};
std::vector<Check>& checks();
struct RegisterCheck {
  RegisterCheck(const char* name, CheckFn fn) { checks().push_back({name, fn}); }
};

inline std::vector<float> random_vector(Context& ctx, int64_t n, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(ctx.rng);
  return v;
}

// Largest |a-b| / (|b| + 1): relative for large values, absolute near zero.
inline double max_error(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = std::fabs(double(a[i]) - double(b[i])) / (std::fabs(double(b[i])) + 1.0);
    if (!(e <= worst)) worst = e;  // NaN counts as worst
  }
  return worst;
}

// Median wall time in ms of fn() over ctx.reps runs after one warm-up; `sync` waits for a GPU.
inline double time_ms(Context& ctx, const std::function<void()>& fn, const std::function<void()>& sync = [] {}) {
  fn();
  sync();
  std::vector<double> times;
  for (int r = 0; r < ctx.reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    sync();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// One result row: op, shape, CPU ms, CUDA ms (negative when not run), max error, pass/fail.
void report(Context& ctx, const std::string& op, const std::string& shape, double cpu_ms, double cuda_ms,
            double error, double tolerance);

#ifdef WSR_WITH_CUDA
// A device copy of a host vector, freed on scope exit.
struct DeviceBuffer {
  float* ptr = nullptr;
  size_t count = 0;
  explicit DeviceBuffer(const std::vector<float>& host) : count(host.size()) {
    ptr = static_cast<float*>(cuda::malloc_device(count * sizeof(float), 0));
    cuda::copy_to_device(ptr, host.data(), count * sizeof(float), 0);
  }
  explicit DeviceBuffer(size_t n) : count(n) { ptr = static_cast<float*>(cuda::malloc_device(n * sizeof(float), 0)); }
  ~DeviceBuffer() { cuda::free_device(ptr, 0); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  std::vector<float> to_host() const {
    std::vector<float> host(count);
    cuda::copy_to_host(host.data(), ptr, count * sizeof(float), 0);
    return host;
  }
};
inline void cuda_sync() { cuda::synchronize(0); }

// Calls body(path name) once for every implicit-GEMM engine path (cuda::kEnginePaths: the engine's own
// choice, then each tile with and without a split reduction forced), and lets the engine choose again after.
template <class Body>
void for_each_engine_path(Body&& body) {
  for (const cuda::EnginePath& path : cuda::kEnginePaths) {
    cuda::set_engine_override(path.force);
    body(std::string(path.name));
  }
  cuda::set_engine_override({});
}
#endif

}  // namespace wsr::check

#define WSR_CHECK(name)                                                                   \
  static void name(::wsr::check::Context& ctx);                                           \
  static const ::wsr::check::RegisterCheck name##_registration(#name, &name);             \
  static void name(::wsr::check::Context& ctx)
