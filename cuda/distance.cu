// CUDA filter divergence metrics. Three kernels for the local distances, each deterministic
// (fixed reduction order, no atomics):
//   1. bank_norms:   one block per position, ||W_p||² by a block reduction in double;
//   2. ring_pairs:   one block per slot (centre, ring neighbour), the pair's dot product by a
//                    block reduction; thread 0 turns it into weighted distances (common/distance_math.h);
//   3. ring_means:   one block per radius, sums the Frobenius norm² and the radius' slots and
//                    writes out[k][0..1].
// Each block reads whole banks, so consecutive threads read consecutive floats (coalesced).
// Norms and dot products share block_dot, so identical banks give a dot product exactly equal to
// their norms and a distance of exactly 0.
#include "cuda/prelude.cuh"

#include "cuda/distance.h"

namespace wsr::cuda {
namespace {

static_assert(kThreads % 32 == 0, "block_sum relies on whole warps");

// One block per item (a block-stride loop covers the rest).
unsigned block_per_item(int64_t items) { return grid_dim(items, kMaxBlocks); }

// Sum of x over the block; the result is valid in thread 0. `scratch` holds one double per warp.
// Starts with a barrier so consecutive calls can reuse `scratch`.
__device__ double block_sum(double x, double* scratch) {
  for (int offset = 16; offset > 0; offset >>= 1) x += __shfl_down_sync(0xffffffffu, x, offset);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();
  if (lane == 0) scratch[warp] = x;
  __syncthreads();
  if (warp == 0) {
    x = lane < static_cast<int>(blockDim.x >> 5) ? scratch[lane] : 0.0;
    for (int offset = 16; offset > 0; offset >>= 1) x += __shfl_down_sync(0xffffffffu, x, offset);
  }
  return x;
}

// Σ a[i]·b[i] over n floats in double, thread t taking i = t, t + blockDim, ... (coalesced).
__device__ double block_dot(const float* __restrict__ a, const float* __restrict__ b, int64_t n, double* scratch) {
  double s = 0.0;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) s += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return block_sum(s, scratch);
}

// norms[p] = ||W_p||², p over the grid's positions (grid-stride over blocks).
__global__ void bank_norms_kernel(const float* __restrict__ w, FilterGrid g, double* __restrict__ norms) {
  __shared__ double scratch[32];
  for (int64_t p = blockIdx.x; p < g.positions(); p += gridDim.x) {
    const float* bank = w + p * g.bank;
    const double n = block_dot(bank, bank, g.bank, scratch);
    if (threadIdx.x == 0) norms[p] = n;
  }
}

// slots[2s], slots[2s+1] = weighted Euclidean and cosine distance of slot s (0 for the mirror
// slot of a pair counted elsewhere). The branch on the weight is uniform across the block.
__global__ void ring_pairs_kernel(const float* __restrict__ w, FilterGrid g, RingLayout layout,
                                  const double* __restrict__ norms, double* __restrict__ slots) {
  __shared__ double scratch[32];
  for (int64_t s = blockIdx.x; s < layout.total_slots(); s += gridDim.x) {
    int k = 0;
    while (s >= layout.slot_begin[k + 1]) ++k;  // radius index of slot s (at most 16 steps)
    const RingPair pair = ring_pair(g, layout.radius[k], s - layout.slot_begin[k]);
    double euclidean = 0.0, cosine = 0.0;
    if (pair.weight != 0) {
      const double dot = block_dot(w + pair.centre * g.bank, w + pair.neighbour * g.bank, g.bank, scratch);
      if (threadIdx.x == 0) {
        pair_distances(norms[pair.centre], norms[pair.neighbour], dot, &euclidean, &cosine);
        euclidean *= pair.weight;
        cosine *= pair.weight;
      }
    }
    if (threadIdx.x == 0) {
      slots[2 * s] = euclidean;
      slots[2 * s + 1] = cosine;
    }
  }
}

// Block k: out[2k], out[2k+1] for radius layout.radius[k].
__global__ void ring_means_kernel(FilterGrid g, RingLayout layout, const double* __restrict__ norms,
                                  const double* __restrict__ slots, float* __restrict__ out) {
  __shared__ double scratch[32];
  const int k = blockIdx.x;
  double frobenius2 = 0.0;
  for (int64_t p = threadIdx.x; p < g.positions(); p += blockDim.x) frobenius2 += norms[p];
  frobenius2 = block_sum(frobenius2, scratch);
  double euclidean = 0.0, cosine = 0.0;
  for (int64_t s = layout.slot_begin[k] + threadIdx.x; s < layout.slot_begin[k + 1]; s += blockDim.x) {
    euclidean += slots[2 * s];
    cosine += slots[2 * s + 1];
  }
  euclidean = block_sum(euclidean, scratch);
  cosine = block_sum(cosine, scratch);
  if (threadIdx.x == 0) ring_means(frobenius2, layout.slots(k), euclidean, cosine, out + 2 * k);
}

// Per position p: out[p] = ||W_p - ref|| / ||ref||, out[positions + p] = 1 - cos(W_p, ref).
// Each block also sums ||ref||² itself (ref stays in L2), which spares a workspace and a launch.
__global__ void reference_distances_kernel(const float* __restrict__ w, const float* __restrict__ ref,
                                           FilterGrid g, float* __restrict__ out) {
  __shared__ double scratch[32];
  for (int64_t p = blockIdx.x; p < g.positions(); p += gridDim.x) {
    const float* bank = w + p * g.bank;
    double diff2 = 0.0, dot = 0.0, norm2 = 0.0, ref_norm2 = 0.0;
    for (int64_t i = threadIdx.x; i < g.bank; i += blockDim.x) {
      const double x = bank[i], y = ref[i], d = x - y;
      diff2 += d * d;
      dot += x * y;
      norm2 += x * x;
      ref_norm2 += y * y;
    }
    diff2 = block_sum(diff2, scratch);
    dot = block_sum(dot, scratch);
    norm2 = block_sum(norm2, scratch);
    ref_norm2 = block_sum(ref_norm2, scratch);
    if (threadIdx.x == 0) reference_pair(diff2, dot, norm2, ref_norm2, out + p, out + g.positions() + p);
  }
}

}  // namespace

void local_distances(const float* w, const FilterGrid& grid, const RingLayout& layout, double* workspace,
                     float* out) {
  const int64_t positions = grid.positions();
  if (positions <= 0 || layout.count <= 0) return;
  double* norms = workspace;
  double* slots = workspace + positions;
  bank_norms_kernel<<<block_per_item(positions), kThreads>>>(w, grid, norms);
  check_launch("local_distances/bank_norms");
  if (layout.total_slots() > 0) {
    ring_pairs_kernel<<<block_per_item(layout.total_slots()), kThreads>>>(w, grid, layout, norms, slots);
    check_launch("local_distances/ring_pairs");
  }
  ring_means_kernel<<<layout.count, kThreads>>>(grid, layout, norms, slots, out);
  check_launch("local_distances/ring_means");
}

void reference_distances(const float* w, const float* ref, const FilterGrid& grid, float* out) {
  const int64_t positions = grid.positions();
  if (positions <= 0) return;
  reference_distances_kernel<<<block_per_item(positions), kThreads>>>(w, ref, grid, out);
  check_launch("reference_distances");
}

}  // namespace wsr::cuda
