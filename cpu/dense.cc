#include "cpu/dense.h"

#include <algorithm>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/parallel.h"

namespace wsr::cpu {
namespace {

// Columns per parallel chunk of the bias gradient, so each chunk's accumulators stay in L1.
constexpr int64_t kBiasColumnGrain = 256;

// 2·MACs of the forward pass (and of each backward product).
double flops(const DenseShape& s) { return 2.0 * static_cast<double>(s.n) * static_cast<double>(s.in) * static_cast<double>(s.out); }

}  // namespace

void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y) {
  const OpSize size(flops(s));
  if (s.n == 0 || s.out == 0) return;
  float beta = 0.f;
  if (b) {
    // Broadcast the bias into y, then let the GEMM accumulate onto it (beta = 1).
    parallel_for(s.n, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) std::copy(b, b + s.out, y + r * s.out);
    }, std::max<int64_t>(1, 4096 / s.out));
    beta = 1.f;
  }
  // y[n, out] = x[n, in] · w[out, in]ᵀ
  sgemm_parallel(false, true, s.n, s.out, s.in, 1.f, x, s.in, w, s.in, beta, y, s.out);
}

void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db) {
  const OpSize size(flops(s) * (dx ? 2 : 1));
  // dx[n, in] = dy[n, out] · w[out, in]
  if (dx) sgemm_parallel(false, false, s.n, s.in, s.out, 1.f, dy, s.out, w, s.in, 0.f, dx, s.in);
  // dw[out, in] = dy[n, out]ᵀ · x[n, in]  (n == 0 gives zeros: the GEMM with K == 0 and beta == 0)
  sgemm_parallel(true, false, s.out, s.in, s.n, 1.f, dy, s.out, x, s.in, 0.f, dw, s.in);
  if (!db) return;
  // db[o] = Σ_n dy[n, o]: each chunk owns a range of columns and walks the rows, so the inner loop
  // runs over contiguous memory; double accumulators keep large batches accurate.
  parallel_for(s.out, [&](int64_t c0, int64_t c1) {
    std::vector<double> acc(static_cast<size_t>(c1 - c0), 0.0);
    for (int64_t r = 0; r < s.n; ++r) {
      const float* row = dy + r * s.out + c0;
      for (int64_t c = 0; c < c1 - c0; ++c) acc[c] += row[c];
    }
    for (int64_t c = c0; c < c1; ++c) db[c] = static_cast<float>(acc[c - c0]);
  }, kBiasColumnGrain);
}

}  // namespace wsr::cpu
