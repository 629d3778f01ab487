#include "cuda/prelude.cuh"

#include "cuda/dense.h"
#include "cuda/gemm.h"

namespace wsr::cuda {
namespace {

// y[r, o] += b[o] for every element of y [rows, out]; consecutive threads touch consecutive
// elements of y (coalesced), and b is small enough to stay in cache.
__global__ void add_bias_kernel(float* y, const float* b, int64_t rows, int64_t out) {
  const int64_t total = rows * out;
  for (int64_t e = grid_start(); e < total; e += grid_step())
    y[e] += b[e % out];
}

// db[o] = Σ_r dy[r, o]. One thread per column o; at each row step the threads of a warp read 32
// consecutive floats of that row (coalesced). Rows are summed in order, so the result is
// deterministic.
__global__ void column_sums_kernel(const float* dy, float* db, int64_t rows, int64_t out) {
  for (int64_t o = grid_start(); o < out; o += grid_step()) {
    float acc = 0.f;
    for (int64_t r = 0; r < rows; ++r) acc += dy[r * out + o];
    db[o] = acc;
  }
}

}  // namespace

void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y) {
  if (s.n == 0 || s.out == 0) return;
  // y[n, out] = x[n, in] · w[out, in]ᵀ, one product (batch 1); in == 0 gives zeros (beta == 0).
  sgemm_batched(false, true, s.n, s.out, s.in, 1.f, x, s.in, 0, w, s.in, 0, 0.f, y, s.out, 0, 1);
  if (b) {
    add_bias_kernel<<<blocks_for(s.n * s.out), kThreads>>>(y, b, s.n, s.out);
    check_launch("dense_forward/add_bias");
  }
}

void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db) {
  // dx[n, in] = dy[n, out] · w[out, in]
  if (dx && s.n > 0 && s.in > 0)
    sgemm_batched(false, false, s.n, s.in, s.out, 1.f, dy, s.out, 0, w, s.in, 0, 0.f, dx, s.in, 0, 1);
  // dw[out, in] = dy[n, out]ᵀ · x[n, in]; n == 0 gives zeros (K == 0, beta == 0).
  if (s.out > 0 && s.in > 0)
    sgemm_batched(true, false, s.out, s.in, s.n, 1.f, dy, s.out, 0, x, s.in, 0, 0.f, dw, s.in, 0, 1);
  if (db && s.out > 0) {
    column_sums_kernel<<<blocks_for(s.out), kThreads>>>(dy, db, s.n, s.out);
    check_launch("dense_backward/column_sums");
  }
}

}  // namespace wsr::cuda
