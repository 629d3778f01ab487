#include "cuda/prelude.cuh"

#include "cuda/elementwise.h"

namespace wsr::cuda {
namespace {

constexpr int64_t kMaxReduceBlocks = 1024;  // reductions: few blocks, so few atomics on *out
constexpr unsigned kFullMask = 0xffffffffu;

// Elementwise kernels: a grid-stride loop, consecutive threads on consecutive elements.
__global__ void fill_kernel(int64_t n, float value, float* t) {
  for (int64_t i = grid_start(); i < n; i += grid_step())
    t[i] = value;
}

__global__ void scale_kernel(int64_t n, float alpha, float* t) {
  for (int64_t i = grid_start(); i < n; i += grid_step())
    t[i] *= alpha;
}

__global__ void axpy_kernel(int64_t n, float alpha, const float* x, float* y) {
  for (int64_t i = grid_start(); i < n; i += grid_step())
    y[i] += alpha * x[i];
}

// Each thread sums a grid-stride slice in double; the block reduces its threads as a tree (warp
// shuffles, then one value per warp through shared memory) and thread 0 adds the block's total to
// *out (zeroed by the launcher) with one float atomic.
template <bool Square>
__global__ void reduce_kernel(int64_t n, const float* x, float* out) {
  double acc = 0;
  for (int64_t i = grid_start(); i < n; i += grid_step()) {
    const double v = x[i];
    acc += Square ? v * v : v;
  }
  for (int offset = 16; offset > 0; offset /= 2) acc += __shfl_xor_sync(kFullMask, acc, offset);
  __shared__ double warp_totals[kThreads / 32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) warp_totals[warp] = acc;
  __syncthreads();
  if (warp == 0) {
    acc = lane < kThreads / 32 ? warp_totals[lane] : 0.0;
    for (int offset = 16; offset > 0; offset /= 2) acc += __shfl_xor_sync(kFullMask, acc, offset);
    if (lane == 0) atomicAdd(out, static_cast<float>(acc));
  }
}

template <bool Square>
void reduce(int64_t n, const float* x, float* out, const char* what) {
  check_status(cudaMemsetAsync(out, 0, sizeof(float), 0), std::string(what) + "/clear out");
  if (n == 0) return;
  reduce_kernel<Square><<<grid_dim(ceil_div(n, kThreads), kMaxReduceBlocks), kThreads>>>(n, x, out);
  check_launch(what);
}

}  // namespace

void fill(int64_t n, float value, float* t) {
  if (n == 0) return;
  fill_kernel<<<blocks_for(n), kThreads>>>(n, value, t);
  check_launch("fill");
}

void scale(int64_t n, float alpha, float* t) {
  if (n == 0) return;
  scale_kernel<<<blocks_for(n), kThreads>>>(n, alpha, t);
  check_launch("scale");
}

void axpy(int64_t n, float alpha, const float* x, float* y) {
  if (n == 0) return;
  axpy_kernel<<<blocks_for(n), kThreads>>>(n, alpha, x, y);
  check_launch("axpy");
}

void sum(int64_t n, const float* x, float* out) { reduce<false>(n, x, out, "sum"); }
void sum_squares(int64_t n, const float* x, float* out) { reduce<true>(n, x, out, "sum_squares"); }

}  // namespace wsr::cuda
