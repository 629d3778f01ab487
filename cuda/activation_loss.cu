#include "cuda/prelude.cuh"

#include "cuda/activation_loss.h"

namespace wsr::cuda {
namespace {

constexpr int kWarpsPerBlock = 8;      // softmax: one warp per row, 8 rows per block
constexpr unsigned kFullMask = 0xffffffffu;

// Elementwise kernels: a grid-stride loop, consecutive threads on consecutive elements.
__global__ void relu_forward_kernel(int64_t n, const float* x, float* y) {
  for (int64_t i = grid_start(); i < n; i += grid_step()) {
    const float v = x[i];
    y[i] = v < 0.f ? 0.f : v;  // NaN passes through, as on the CPU
  }
}

__global__ void relu_backward_kernel(int64_t n, const float* y, const float* dy, float* dx) {
  for (int64_t i = grid_start(); i < n; i += grid_step())
    dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}

// One warp per row r of logits [n, classes]. Lane l handles columns l, l+32, ... in every pass, so
// reads are coalesced and each column is read and written by the same thread.
// Pass 1: max and first argmax (ties go to the lower column, as on the CPU); pass 2: Σ exp(z - max);
// pass 3: the gradient. Each warp's lane 0 adds its row's loss and hit to per-block shared sums;
// thread 0 then adds the block's sums to stats with one atomic each.
__global__ void softmax_xent_kernel(int64_t n, int64_t classes, const float* logits, const uint8_t* labels,
                                    float* dlogits, float* stats) {
  __shared__ float block_loss, block_correct;
  if (threadIdx.x == 0) {
    block_loss = 0.f;
    block_correct = 0.f;
  }
  __syncthreads();

  const int lane = threadIdx.x % 32;
  const int64_t r = blockIdx.x * int64_t{kWarpsPerBlock} + threadIdx.x / 32;
  if (r < n) {  // uniform across the warp, so the shuffles below see all 32 lanes
    const float* z = logits + r * classes;
    float max = -INFINITY;
    int argmax = -1;  // -1: this lane has no column yet (classes < 32)
    for (int64_t c = lane; c < classes; c += 32) {
      const float v = z[c];
      if (argmax < 0 || v > max) {  // a lane sees its columns in increasing order: ties keep the first
        max = v;
        argmax = static_cast<int>(c);
      }
    }
    for (int offset = 16; offset > 0; offset /= 2) {
      const float other_max = __shfl_xor_sync(kFullMask, max, offset);
      const int other_arg = __shfl_xor_sync(kFullMask, argmax, offset);
      if (other_arg >= 0 && (argmax < 0 || other_max > max || (other_max == max && other_arg < argmax))) {
        max = other_max;
        argmax = other_arg;
      }
    }
    float total = 0.f;
    for (int64_t c = lane; c < classes; c += 32) total += expf(z[c] - max);
    for (int offset = 16; offset > 0; offset /= 2) total += __shfl_xor_sync(kFullMask, total, offset);

    const int label = labels[r];
    const bool valid = label < classes;
    if (dlogits) {
      const float inv_n = 1.f / static_cast<float>(n);
      float* dz = dlogits + r * classes;
      for (int64_t c = lane; c < classes; c += 32)
        dz[c] = valid ? (expf(z[c] - max) / total - (c == label ? 1.f : 0.f)) * inv_n : NAN;
    }
    if (lane == 0) {
      // -log p[label] = log Σ exp(z - max) - (z[label] - max); an invalid label reads no logit.
      const float loss = valid ? logf(total) - (z[label] - max) : NAN;
      atomicAdd(&block_loss, loss);
      if (valid && argmax == label) atomicAdd(&block_correct, 1.f);
    }
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    atomicAdd(&stats[0], block_loss);
    atomicAdd(&stats[1], block_correct);
  }
}

}  // namespace

void relu_forward(int64_t n, const float* x, float* y) {
  if (n == 0) return;
  relu_forward_kernel<<<blocks_for(n), kThreads>>>(n, x, y);
  check_launch("relu_forward");
}

void relu_backward(int64_t n, const float* y, const float* dy, float* dx) {
  if (n == 0) return;
  relu_backward_kernel<<<blocks_for(n), kThreads>>>(n, y, dy, dx);
  check_launch("relu_backward");
}

void softmax_cross_entropy(const ClassifierShape& s, const float* logits, const uint8_t* labels, float* dlogits,
                           float* stats, bool accumulate) {
  if (!accumulate) {
    check_status(cudaMemsetAsync(stats, 0, 2 * sizeof(float), 0), "softmax_cross_entropy/clear stats");
  }
  if (s.n == 0) return;
  const int64_t blocks = (s.n + kWarpsPerBlock - 1) / kWarpsPerBlock;
  softmax_xent_kernel<<<static_cast<unsigned>(blocks), kWarpsPerBlock * 32>>>(s.n, s.classes, logits, labels,
                                                                              dlogits, stats);
  check_launch("softmax_cross_entropy");
}

}  // namespace wsr::cuda
