// Checks the CPU GEMM (sgemm, sgemm_parallel, sgemm_batched) against a float64 triple loop on fresh random
// inputs over many odd shapes, all transpose combinations, padded strides and shared operands, for every
// microkernel this CPU can run; then times the large shapes at 1 thread and all threads.
//
//   g++ -O3 -std=c++17 -pthread test/native/gemm/check_gemm.cc cpu/gemm.cc cpu/parallel.cc -o check_gemm
//   ./check_gemm [--quick] [--no-bench] [--bench-only] [--reps N] [--kernel avx512|avx2|generic]
//
// The checking logic is in functions taking any batched-GEMM implementation (GemmFn). The GPU's products
// run on the implicit-GEMM engine (cuda/implicit_gemm.cuh), checked by the conv, local and dense checks of
// wsr_kernel_check and by test/cudasim. Compile with -DWSR_KERNEL_CHECK_NO_MAIN to drop main.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../../../cpu/gemm.h"
#include "../../../cpu/parallel.h"

namespace wsr::check {

// One (batched) GEMM call: C_i = alpha op(A_i) op(B_i) + beta C_i, X_i = X + i*strideX.
struct GemmCase {
  bool transA = false, transB = false;
  int64_t M = 0, N = 0, K = 0;
  int64_t lda = 0, ldb = 0, ldc = 0;              // 0 = tight (filled in by finalize)
  int64_t strideA = -1, strideB = -1, strideC = -1;  // -1 = tight (filled in by finalize); 0 = shared
  int64_t batch = 1;
  float alpha = 1.0f, beta = 0.0f;
  bool nan_operands = false;  // fill A and B with NaN (only meaningful with alpha == 0 or K == 0)
};

// Storage extents of op(X) = [rows x cols] kept as stored (transposed or not).
inline int64_t stored_rows(bool trans, int64_t rows, int64_t cols) { return trans ? cols : rows; }
inline int64_t stored_cols(bool trans, int64_t rows, int64_t cols) { return trans ? rows : cols; }
inline int64_t item_extent(int64_t rows, int64_t cols, int64_t ld) {
  return rows > 0 && cols > 0 ? (rows - 1) * ld + cols : 0;
}
inline int64_t total_extent(int64_t item, int64_t stride, int64_t batch) {
  return item == 0 || batch == 0 ? 0 : (batch - 1) * stride + item;
}

// Number of floats each operand of a finalized case spans over the whole batch (allocations, copies).
inline int64_t a_elements(const GemmCase& c) {
  return total_extent(item_extent(stored_rows(c.transA, c.M, c.K), stored_cols(c.transA, c.M, c.K), c.lda),
                      c.strideA, c.batch);
}
inline int64_t b_elements(const GemmCase& c) {
  return total_extent(item_extent(stored_rows(c.transB, c.K, c.N), stored_cols(c.transB, c.K, c.N), c.ldb),
                      c.strideB, c.batch);
}
inline int64_t c_elements(const GemmCase& c) { return total_extent(item_extent(c.M, c.N, c.ldc), c.strideC, c.batch); }

// Fills in tight leading dimensions and strides (keeping any explicit padding).
inline GemmCase finalize(GemmCase c) {
  const int64_t a_cols = stored_cols(c.transA, c.M, c.K), b_cols = stored_cols(c.transB, c.K, c.N);
  c.lda = std::max<int64_t>({c.lda, a_cols, 1});
  c.ldb = std::max<int64_t>({c.ldb, b_cols, 1});
  c.ldc = std::max<int64_t>({c.ldc, c.N, 1});
  const int64_t a_item = item_extent(stored_rows(c.transA, c.M, c.K), a_cols, c.lda);
  const int64_t b_item = item_extent(stored_rows(c.transB, c.K, c.N), b_cols, c.ldb);
  const int64_t c_item = item_extent(c.M, c.N, c.ldc);
  if (c.strideA < 0) c.strideA = a_item;
  if (c.strideB < 0) c.strideB = b_item;
  if (c.strideC < 0) c.strideC = c_item;
  return c;
}

inline std::string describe(const GemmCase& c) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "%c%c M=%lld N=%lld K=%lld lda=%lld ldb=%lld ldc=%lld sA=%lld sB=%lld sC=%lld batch=%lld "
                "alpha=%g beta=%g",
                c.transA ? 'T' : 'N', c.transB ? 'T' : 'N', (long long)c.M, (long long)c.N, (long long)c.K,
                (long long)c.lda, (long long)c.ldb, (long long)c.ldc, (long long)c.strideA, (long long)c.strideB,
                (long long)c.strideC, (long long)c.batch, c.alpha, c.beta);
  return buf;
}

// Any implementation of the batched call on host-visible buffers (a CUDA wrapper copies in and out).
using GemmFn = std::function<void(const GemmCase&, const float* A, const float* B, float* C)>;

// Runs one case on fresh random inputs and returns the largest error of any element of C relative to
// the magnitude of what produced it: |c - ref| / (|alpha| sum_k |a_ik b_kj| + |beta| |c_old|).
// Elements of C outside the written area (row padding, gaps between items) must stay unchanged; if one
// changes, or a result is not finite where the reference is, the error is +inf.
inline double check_gemm_case(const GemmCase& raw, const GemmFn& fn, std::mt19937& rng) {
  const GemmCase c = finalize(raw);
  const size_t a_size = a_elements(c), b_size = b_elements(c), c_size = c_elements(c);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  const float sentinel = 1234.5f, nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> A(a_size + 1), B(b_size + 1), C(c_size + 1, sentinel);
  for (auto& x : A) x = c.nan_operands ? nan : uni(rng);
  for (auto& x : B) x = c.nan_operands ? nan : uni(rng);
  std::vector<char> written(C.size(), 0);
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t i = 0; i < c.M; ++i)
      for (int64_t j = 0; j < c.N; ++j) written[b * c.strideC + i * c.ldc + j] = 1;
  // With beta == 0, C starts as NaN garbage that must be ignored.
  for (size_t i = 0; i < C.size(); ++i)
    if (written[i]) C[i] = c.beta == 0.0f ? nan : uni(rng);

  // Reference in float64, items applied in order (strideC == 0 makes them accumulate into one C).
  std::vector<double> ref(C.begin(), C.end()), mag(C.size(), 0.0);
  for (size_t i = 0; i < C.size(); ++i) mag[i] = written[i] ? std::fabs(ref[i]) : 0.0;
  auto a_at = [&](int64_t b, int64_t i, int64_t k) {
    return A[b * c.strideA + (c.transA ? k * c.lda + i : i * c.lda + k)];
  };
  auto b_at = [&](int64_t b, int64_t k, int64_t j) {
    return B[b * c.strideB + (c.transB ? j * c.ldb + k : k * c.ldb + j)];
  };
  const bool skip_product = c.alpha == 0.0f || c.K == 0;
  for (int64_t b = 0; b < c.batch; ++b) {
    for (int64_t i = 0; i < c.M; ++i) {
      for (int64_t j = 0; j < c.N; ++j) {
        double sum = 0.0, abs_sum = 0.0;
        if (!skip_product) {
          for (int64_t k = 0; k < c.K; ++k) {
            const double p = static_cast<double>(a_at(b, i, k)) * b_at(b, k, j);
            sum += p;
            abs_sum += std::fabs(p);
          }
        }
        const size_t at = b * c.strideC + i * c.ldc + j;
        const double old = c.beta == 0.0f ? 0.0 : ref[at];
        ref[at] = c.alpha * sum + c.beta * old;
        mag[at] = std::fabs(c.alpha) * abs_sum + (c.beta == 0.0f ? 0.0 : std::fabs(c.beta) * mag[at]);
      }
    }
  }

  fn(c, A.data(), B.data(), C.data());

  double worst = 0.0;
  for (size_t i = 0; i < C.size(); ++i) {
    if (!written[i]) {
      if (!(C[i] == sentinel)) return std::numeric_limits<double>::infinity();
      continue;
    }
    if (!std::isfinite(C[i])) return std::numeric_limits<double>::infinity();
    const double err = std::fabs(C[i] - ref[i]) / (mag[i] + 1e-30);
    if (std::fabs(C[i] - ref[i]) > 0.0) worst = std::max(worst, err);
  }
  return worst;
}

// The case list: exhaustive small odd sizes, random medium sizes, block-boundary sizes, batched cases
// with shared operands and padded strides, and the special cases (K = 0, alpha = 0, NaN in C).
inline std::vector<GemmCase> gemm_cases(bool quick, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };
  const float alphas[] = {1.0f, -0.5f, 2.0f};
  const float betas[] = {0.0f, 1.0f, 0.75f};
  std::vector<GemmCase> cases;
  int n = 0;
  auto add = [&](GemmCase c) {
    ++n;
    if (c.alpha == 1.0f && c.beta == 0.0f && n % 3) {  // vary alpha/beta when not given
      c.alpha = alphas[n % 3];
      c.beta = betas[(n / 3) % 3];
    }
    cases.push_back(c);
  };
  // 1. Small odd sizes, all transposes, sometimes padded rows.
  const std::vector<int64_t> small = quick ? std::vector<int64_t>{0, 1, 3, 15, 17, 33}
                                           : std::vector<int64_t>{0, 1, 2, 3, 5, 7, 13, 14, 15, 16, 17, 31, 33};
  for (int64_t M : small)
    for (int64_t N : small)
      for (int64_t K : small)
        for (int t = 0; t < 4; ++t) {
          if (quick && (M + N + K + t) % 2) continue;
          GemmCase c;
          c.transA = t & 1;
          c.transB = t & 2;
          c.M = M, c.N = N, c.K = K;
          if ((M + 2 * N + K + t) % 3 == 0) {  // padded rows
            c.lda = stored_cols(c.transA, M, K) + 3;
            c.ldb = stored_cols(c.transB, K, N) + 1;
            c.ldc = N + 5;
          }
          add(c);
        }
  // 2. Random medium sizes.
  for (int i = 0; i < (quick ? 20 : 80); ++i) {
    GemmCase c;
    c.transA = pick(0, 1), c.transB = pick(0, 1);
    c.M = pick(1, 200), c.N = pick(1, 200), c.K = pick(1, 300);
    if (pick(0, 1)) c.lda = stored_cols(c.transA, c.M, c.K) + pick(1, 40);
    if (pick(0, 1)) c.ldb = stored_cols(c.transB, c.K, c.N) + pick(1, 40);
    if (pick(0, 1)) c.ldc = c.N + pick(1, 40);
    add(c);
  }
  // 3. Sizes across the blocking boundaries of every kernel (KC 256/384, NC 256/320, MC 512/768/1792).
  const int64_t big[][3] = {{70, 30, 383}, {70, 30, 385}, {33, 321, 40}, {20, 650, 769}, {1793, 37, 19},
                            {769, 45, 30}, {513, 17, 257}, {300, 700, 100}, {1, 1000, 500}, {1000, 1, 500},
                            {400, 400, 400}, {128, 25, 1600}, {25, 128, 1600}, {129, 1025, 70}};
  for (const auto& s : big)
    for (int t = 0; t < 4; ++t) {
      if (quick && t % 2) continue;
      GemmCase c;
      c.transA = t & 1, c.transB = t & 2;
      c.M = s[0], c.N = s[1], c.K = s[2];
      add(c);
    }
  // 4. Batched: distinct / shared operands, padded strides, sequential accumulation (strideC == 0).
  for (int i = 0; i < (quick ? 16 : 60); ++i) {
    GemmCase c;
    c.transA = pick(0, 1), c.transB = pick(0, 1);
    c.M = pick(1, 150), c.N = pick(1, 150), c.K = pick(1, 200);
    c.batch = pick(1, 9);
    const int kind = i % 6;
    if (kind == 1) c.strideA = 0;
    if (kind == 2) c.strideB = 0;
    if (kind == 3) c.strideA = 0, c.M = 128, c.N = 25 + i % 3, c.K = pick(100, 700);  // conv-forward-like
    if (kind == 4) c.strideC = 0, c.beta = 1.0f, c.alpha = 0.5f;  // accumulate over the batch
    if (kind == 5) {
      const GemmCase t = finalize(c);
      c.strideA = t.strideA + pick(0, 9), c.strideB = t.strideB + pick(0, 9), c.strideC = t.strideC + pick(1, 9);
    }
    add(c);
  }
  // 5. Products big enough (> 1e7 flops in all) to be split over threads, with odd batch counts.
  {
    const int64_t shapes[][6] = {
        // M, N, K, batch, shared (0 none, 1 A, 2 B, 3 C accumulates), transposes (bit 0 A, bit 1 B)
        {100, 130, 300, 3, 0, 0}, {257, 129, 333, 1, 0, 3}, {128, 27, 1200, 2, 1, 0}, {120, 90, 250, 5, 2, 1},
        {200, 200, 200, 3, 3, 2}, {33, 700, 500, 1, 0, 1}, {700, 33, 500, 1, 0, 2}, {64, 25, 1600, 3, 1, 3}};
    for (const auto& s : shapes) {
      GemmCase c;
      c.M = s[0], c.N = s[1], c.K = s[2], c.batch = s[3];
      c.transA = s[5] & 1, c.transB = s[5] & 2;
      if (s[4] == 1) c.strideA = 0;
      if (s[4] == 2) c.strideB = 0;
      if (s[4] == 3) c.strideC = 0, c.beta = 1.0f;
      add(c);
    }
  }
  // 6. Special values.
  {
    GemmCase c;
    c.M = 37, c.N = 41, c.K = 0, c.beta = 0.0f, c.alpha = 1.0f;  // K = 0, beta = 0: C = 0
    cases.push_back(c);
    c.beta = 0.5f;  // K = 0: C = beta C
    cases.push_back(c);
    c.K = 50, c.alpha = 0.0f, c.nan_operands = true;  // alpha = 0: A, B not read
    cases.push_back(c);
    c.beta = 0.0f, c.batch = 3;
    cases.push_back(c);
    GemmCase d;
    d.M = 64, d.N = 64, d.K = 64, d.beta = 0.0f, d.alpha = 1.0f, d.batch = 4;  // NaN garbage in C ignored
    cases.push_back(d);
  }
  return cases;
}

// Runs every case through fn; prints failures and a summary line. Returns true when all pass.
inline bool check_gemm_all(const char* label, const GemmFn& fn, const std::vector<GemmCase>& cases, double tol,
                           uint32_t seed, bool batched_cases = true) {
  std::mt19937 rng(seed);
  double worst = 0.0;
  int failures = 0, run = 0;
  for (const GemmCase& c : cases) {
    if (!batched_cases && (c.batch != 1)) continue;
    ++run;
    const double err = check_gemm_case(c, fn, rng);
    worst = std::max(worst, err);
    if (!(err <= tol)) {
      if (failures < 10) std::fprintf(stderr, "  FAIL %s: %s: error %.3g\n", label, describe(c).c_str(), err);
      ++failures;
    }
  }
  std::printf("%-34s %5d cases  max rel error %.2e  %s\n", label, run, worst, failures ? "FAIL" : "ok");
  return failures == 0;
}

// The CPU entry points as GemmFn.
inline void cpu_sgemm(const GemmCase& c, const float* A, const float* B, float* C) {
  wsr::cpu::sgemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, A, c.lda, B, c.ldb, c.beta, C, c.ldc);
}
inline void cpu_sgemm_parallel(const GemmCase& c, const float* A, const float* B, float* C) {
  wsr::cpu::sgemm_parallel(c.transA, c.transB, c.M, c.N, c.K, c.alpha, A, c.lda, B, c.ldb, c.beta, C, c.ldc);
}
inline void cpu_sgemm_batched(const GemmCase& c, const float* A, const float* B, float* C) {
  wsr::cpu::sgemm_batched(c.transA, c.transB, c.M, c.N, c.K, c.alpha, A, c.lda, c.strideA, B, c.ldb, c.strideB,
                          c.beta, C, c.ldc, c.strideC, c.batch);
}
// Many single-threaded sgemm calls at once from the thread pool (thread safety of the scratch buffers).
inline void cpu_sgemm_from_pool(const GemmCase& c, const float* A, const float* B, float* C) {
  if (c.batch > 1 && c.strideC == 0) return cpu_sgemm_batched(c, A, B, C);  // order matters there
  wsr::cpu::parallel_for(c.batch, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      wsr::cpu::sgemm(c.transA, c.transB, c.M, c.N, c.K, c.alpha, A + b * c.strideA, c.lda, B + b * c.strideB,
                      c.ldb, c.beta, C + b * c.strideC, c.ldc);
  });
}

// Checks every CPU entry point with every kernel this CPU runs, at 1, 2 and 3 threads.
inline bool check_cpu_gemm(bool quick, double tol = 1e-4) {
  const std::vector<GemmCase> cases = gemm_cases(quick, 12345);
  bool ok = true;
  const int hw = wsr::cpu::num_threads();
  for (const char* kernel : {"avx512", "avx2", "generic"}) {
    if (!wsr::cpu::sgemm_select_kernel(kernel)) {
      std::printf("kernel %s: not available on this CPU or build, skipped\n", kernel);
      continue;
    }
    const std::string k = kernel;
    wsr::cpu::set_num_threads(1);
    ok &= check_gemm_all((k + " sgemm").c_str(), cpu_sgemm, cases, tol, 1, false);
    for (int threads : {1, 2, 3}) {
      if (quick && threads == 3) continue;
      wsr::cpu::set_num_threads(threads);
      const std::string t = " (" + std::to_string(threads) + "t)";
      ok &= check_gemm_all((k + " sgemm_parallel" + t).c_str(), cpu_sgemm_parallel, cases, tol, 2, false);
      ok &= check_gemm_all((k + " sgemm_batched" + t).c_str(), cpu_sgemm_batched, cases, tol, 3, true);
    }
    if (!quick) {
      wsr::cpu::set_num_threads(2);
      ok &= check_gemm_all((k + " sgemm in parallel_for (2t)").c_str(), cpu_sgemm_from_pool, cases, tol, 4, true);
    }
  }
  wsr::cpu::sgemm_select_kernel(nullptr);
  wsr::cpu::set_num_threads(hw);
  return ok;
}

// ---------------------------------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------------------------------
inline double median_seconds(const std::function<void()>& fn, int reps) {
  fn();  // warm up (page faults, scratch buffers)
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

struct BenchShape {
  const char* label;
  GemmCase c;
};

inline std::vector<BenchShape> gemm_bench_shapes() {
  auto make = [](bool ta, bool tb, int64_t M, int64_t N, int64_t K, int64_t batch, int64_t strideA) {
    GemmCase c;
    c.transA = ta, c.transB = tb, c.M = M, c.N = N, c.K = K, c.batch = batch, c.strideA = strideA;
    return finalize(c);
  };
  return {
      {"1024^3 NN", make(false, false, 1024, 1024, 1024, 1, -1)},
      {"1024^3 TN", make(true, false, 1024, 1024, 1024, 1, -1)},
      {"1024^3 NT", make(false, true, 1024, 1024, 1024, 1, -1)},
      {"M128 N1024 K2304 NN", make(false, false, 128, 1024, 2304, 1, -1)},
      {"M128 N25 K1600 x128 shared A", make(false, false, 128, 25, 1600, 128, 0)},
      {"M128 N25 K1600 x128 distinct", make(false, false, 128, 25, 1600, 128, -1)},
  };
}

// Times sgemm (1 thread) / sgemm_parallel or sgemm_batched at 1 and all threads; prints GFLOP/s.
inline void bench_cpu_gemm(int reps) {
  const int hw = std::max(1u, std::thread::hardware_concurrency());
  std::printf("\nkernel %s, median of %d runs, GFLOP/s\n", wsr::cpu::sgemm_kernel_name(), reps);
  std::printf("%-32s %10s %10s %10s\n", "shape", "sgemm", "1 thread", (std::to_string(hw) + " threads").c_str());
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uni(-1.0f, 1.0f);
  for (const BenchShape& s : gemm_bench_shapes()) {
    const GemmCase& c = s.c;
    std::vector<float> A(a_elements(c)), B(b_elements(c)), C(c_elements(c), 0.0f);
    for (auto& x : A) x = uni(rng);
    for (auto& x : B) x = uni(rng);
    const double flops = 2.0 * c.M * c.N * c.K * c.batch;
    auto gflops = [&](double sec) { return flops / sec * 1e-9; };
    double single = 0.0;
    if (c.batch == 1) {
      single = gflops(median_seconds([&] { cpu_sgemm(c, A.data(), B.data(), C.data()); }, reps));
    }
    double at[2];
    const int counts[2] = {1, hw};
    for (int i = 0; i < 2; ++i) {
      wsr::cpu::set_num_threads(counts[i]);
      at[i] = gflops(median_seconds([&] {
        if (c.batch == 1) cpu_sgemm_parallel(c, A.data(), B.data(), C.data());
        else cpu_sgemm_batched(c, A.data(), B.data(), C.data());
      }, reps));
    }
    wsr::cpu::set_num_threads(hw);
    char first[32] = "-";
    if (single > 0) std::snprintf(first, sizeof first, "%.1f", single);
    std::printf("%-32s %10s %10.1f %10.1f\n", s.label, first, at[0], at[1]);
    std::fflush(stdout);
  }
}

inline int run_gemm_checks(int argc, char** argv) {
  bool quick = false, bench = true, check = true;
  int reps = 7;
  const char* kernel = nullptr;  // benchmark a forced kernel (avx512, avx2, generic)
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--no-bench")) bench = false;
    else if (!std::strcmp(argv[i], "--bench-only")) check = false;
    else if (!std::strcmp(argv[i], "--reps") && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
    else if (!std::strcmp(argv[i], "--kernel") && i + 1 < argc) kernel = argv[++i];
    else {
      std::fprintf(stderr, "usage: %s [--quick] [--no-bench] [--bench-only] [--reps N] [--kernel NAME]\n", argv[0]);
      return 2;
    }
  }
  bool ok = true;
  if (check) {
    std::printf("CPU sgemm vs float64 reference (tolerance 1e-4 relative to sum |a b|)\n");
    ok = check_cpu_gemm(quick);
  }
  if (bench) {
    if (kernel && !wsr::cpu::sgemm_select_kernel(kernel)) {
      std::fprintf(stderr, "kernel %s is not supported on this CPU\n", kernel);
      return 2;
    }
    bench_cpu_gemm(reps);
  }
  if (!ok) std::printf("\nGEMM CHECK FAILED\n");
  return ok ? 0 : 1;
}

}  // namespace wsr::check

#ifndef WSR_KERNEL_CHECK_NO_MAIN
int main(int argc, char** argv) { return wsr::check::run_gemm_checks(argc, argv); }
#endif
