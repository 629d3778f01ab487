// Shared pieces of the checkers: random inputs, NaN-filled outputs, comparisons and a summary.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "cpu/parallel.h"

namespace h {

inline std::mt19937_64 rng;
inline int failures = 0, cases = 0;
inline double worst_metric = 0;  // largest |a-b|/(|b|+1) over all compared outputs

inline const char* variant() {
#if defined(SIM_SMALL_GRID)
  return "small-grid";
#elif defined(SIM_FMA)
  return "fma";
#else
  return "full";
#endif
}

// Tolerance for outputs of plain float arithmetic that the CPU twin computes in the same order: exact
// in the plain builds; in the "fma" build (simulated kernels compiled with -mfma -ffp-contract=fast,
// roughly what nvcc's default -fmad=true does) the project's tolerance for these kernels.
#ifdef SIM_FMA
constexpr double kArith = 1e-5;
#else
constexpr double kArith = 0;
#endif

inline void init(int argc, char** argv) {
  wsr::cpu::set_num_threads(1);
  rng.seed(argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1);
  std::printf("variant %s, input seed %s, SIM_SEED %s\n", variant(), argc > 1 ? argv[1] : "1",
              std::getenv("SIM_SEED") ? std::getenv("SIM_SEED") : "1 (default)");
}

inline int64_t irand(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }
inline float frand(float lo, float hi) { return std::uniform_real_distribution<float>(lo, hi)(rng); }
inline std::vector<float> rvec(int64_t n, float lo = -1.f, float hi = 1.f) {
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = frand(lo, hi);
  return v;
}
inline std::vector<float> nanvec(int64_t n) { return std::vector<float>(static_cast<size_t>(n), NAN); }
// A launcher's workspace, NaN-filled so that reading scratch nothing wrote shows (one spare float: never empty).
inline std::vector<float> workspace(size_t floats) { return nanvec(static_cast<int64_t>(floats) + 1); }

struct Cmp {
  double max_abs = 0, max_rel = 0, metric = 0;  // metric: |a-b|/(|b|+1), as test/native/check.h
  int64_t mismatched = 0, first = -1;           // elements beyond tolerance (NaN vs number counts)
  int64_t n = 0;
};

// Compares sim (a) against the CPU twin (b). Both NaN: equal. tol: allowed metric (0 = bit-exact,
// NaN patterns included).
template <class T>
Cmp compare(const T* a, const T* b, int64_t n, double tol) {
  Cmp c;
  c.n = n;
  for (int64_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i];
    bool bad;
    if (std::isnan(x) || std::isnan(y)) {
      bad = std::isnan(x) != std::isnan(y);
      if (bad) c.metric = INFINITY, c.max_abs = INFINITY, c.max_rel = INFINITY;
    } else {
      const double d = std::fabs(x - y);
      const double m = d / (std::fabs(y) + 1.0);
      c.max_abs = std::max(c.max_abs, d);
      if (d > 0) c.max_rel = std::max(c.max_rel, d / std::max(std::fabs(y), 1e-30));
      c.metric = std::max(c.metric, m);
      bad = tol == 0 ? (x != y || std::signbit(x) != std::signbit(y)) : !(m <= tol);
    }
    if (bad) {
      if (c.first < 0) c.first = i;
      ++c.mismatched;
    }
  }
  return c;
}

// One result line; returns whether it passed.
template <class T>
bool report(const std::string& what, const T* a, const T* b, int64_t n, double tol) {
  const Cmp c = compare(a, b, n, tol);
  ++cases;
  const bool ok = c.mismatched == 0;
  if (!ok) ++failures;
  if (std::isfinite(c.metric)) worst_metric = std::max(worst_metric, c.metric);
  std::printf("%-4s %-60s n=%-8lld max_abs=%.3g max_rel=%.3g metric=%.3g tol=%s", ok ? "ok" : "FAIL", what.c_str(),
              static_cast<long long>(n), c.max_abs, c.max_rel, c.metric, tol == 0 ? "exact" : std::to_string(tol).c_str());
  if (!ok)
    std::printf("  %lld bad, first [%lld]: sim %.9g cpu %.9g", static_cast<long long>(c.mismatched),
                static_cast<long long>(c.first), static_cast<double>(a[c.first]), static_cast<double>(b[c.first]));
  std::printf("\n");
  return ok;
}

inline bool expect(bool cond, const std::string& what) {
  ++cases;
  if (!cond) ++failures;
  std::printf("%-4s %s\n", cond ? "ok" : "FAIL", what.c_str());
  return cond;
}

inline int finish(const char* family) {
  std::printf("%s [%s]: %d cases, %d failures, worst metric %.3g\n", family, variant(), cases, failures, worst_metric);
  return failures ? 1 : 0;
}

}  // namespace h
