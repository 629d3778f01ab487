// Weight-sharing kernels on the GPU. The column space [0, bank + k) (the weight's columns, then the
// bias's) is cut into tiles of kSharingTile columns, one block per tile (grid-stride over tiles) and one
// thread per column: the thread walks its column down the positions, so at each position the block's
// threads read consecutive floats of one row (coalesced). Each column's sums run in position order and
// the penalty's tile and total sums in column and tile order (common/sharing_math.h), as on the CPU:
// deterministic, no atomics, the CPU's results bit for bit.
//   tie_columns:    mean of the column, then every position pulled toward it, in place;
//   penalty_tiles:  mean of the column, the gradient added to dw/db, the column's Σ(x − mean)², and
//                   thread 0 the tile's sum into the workspace;
//   penalty_total:  one thread sums the tiles and adds λ/2 of it to stats[0];
//   mask:           out = x · mask per element, grid-stride.
#include "cuda/prelude.cuh"

#include "cuda/sharing.h"

namespace wsr::cuda {
namespace {

// Column c of the column space: read from x, written to out (the matrix itself when re-tying, its
// gradient for the penalty), rows of `size` floats, column i of them.
struct Column {
  const float* x;
  float* out;
  int64_t size, i;
};
__device__ inline Column column_at(int64_t c, int64_t bank, int64_t k, const float* w, const float* b, float* w_out,
                                   float* b_out) {
  return c < bank ? Column{w, w_out, bank, c} : Column{b, b_out, k, c - bank};
}

__device__ inline double mean_of(const Column& col, int64_t positions) {
  double sum = 0.0;
  for (int64_t p = 0; p < positions; ++p) sum = rng::add(sum, static_cast<double>(col.x[p * col.size + col.i]));
  return column_mean(sum, positions);
}

__global__ void tie_columns_kernel(int64_t positions, int64_t bank, int64_t k, int64_t columns, float* w, float* b,
                                   double strength) {
  for (int64_t c = grid_start(); c < columns; c += grid_step()) {
    const Column col = column_at(c, bank, k, w, b, w, b);  // in place
    const double mean = mean_of(col, positions);
    for (int64_t p = 0; p < positions; ++p) {
      float& v = col.out[p * col.size + col.i];
      v = tied_value(v, mean, strength);
    }
  }
}

// Block-stride over tiles; blockDim.x == kSharingTile. tiles[t] = Σ over the tile's columns, in order,
// of Σ_p (x − mean)².
__global__ void penalty_tiles_kernel(int64_t positions, int64_t bank, int64_t k, int64_t columns, const float* w,
                                     const float* b, float* dw, float* db, double lambda, double* tiles) {
  __shared__ double squares[kSharingTile];
  const int64_t count = penalty_tiles(columns);
  for (int64_t t = blockIdx.x; t < count; t += gridDim.x) {
    const int64_t c = t * kSharingTile + threadIdx.x;
    double s = 0.0;
    if (c < columns) {
      const Column col = column_at(c, bank, k, w, b, dw, db);
      const double mean = mean_of(col, positions);
      for (int64_t p = 0; p < positions; ++p) {
        const int64_t at = p * col.size + col.i;
        penalty_element(col.x[at], mean, lambda, &col.out[at], &s);
      }
    }
    squares[threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.x == 0) {
      const int64_t n = columns - t * kSharingTile < kSharingTile ? columns - t * kSharingTile : kSharingTile;
      double tile = 0.0;
      for (int64_t j = 0; j < n; ++j) tile = rng::add(tile, squares[j]);
      tiles[t] = tile;
    }
    __syncthreads();  // squares is rewritten by the next tile
  }
}

__global__ void penalty_total_kernel(int64_t count, const double* tiles, double lambda, float* stats) {
  double total = 0.0;
  for (int64_t t = 0; t < count; ++t) total = rng::add(total, tiles[t]);
  stats[0] = accumulate_penalty(stats[0], lambda, total);
}

__global__ void mask_kernel(int64_t n, int64_t sample, const float* x, const float* mask, float* out) {
  for (int64_t e = grid_start(); e < n; e += grid_step()) out[e] = x[e] * mask[e % sample];
}

}  // namespace

void tie_local(int64_t positions, int64_t bank, int64_t k, float* w, float* b, double strength) {
  const int64_t columns = penalty_columns(bank, k, b != nullptr);
  if (strength == 0.0 || positions <= 0 || columns == 0) return;
  tie_columns_kernel<<<blocks_for(columns, kSharingTile), kSharingTile>>>(positions, bank, k, columns, w, b, strength);
  check_launch("tie_local/tie_columns");
}

void tie_penalty_backward(int64_t positions, int64_t bank, int64_t k, const float* w, const float* b, float* dw,
                          float* db, double lambda, float* stats, double* workspace) {
  const bool bias = b != nullptr && db != nullptr;
  const int64_t columns = penalty_columns(bank, k, bias);
  if (lambda == 0.0 || positions <= 0 || columns == 0) return;
  const int64_t tiles = penalty_tiles(columns);
  penalty_tiles_kernel<<<grid_dim(tiles, kMaxBlocks), kSharingTile>>>(positions, bank, k, columns, w, bias ? b : nullptr,
                                                                      dw, bias ? db : nullptr, lambda, workspace);
  check_launch("tie_penalty_backward/penalty_tiles");
  penalty_total_kernel<<<1, 1>>>(tiles, workspace, lambda, stats);
  check_launch("tie_penalty_backward/penalty_total");
}

void mask_inputs(int64_t count, int64_t sample, const float* x, const float* mask, float* out) {
  const int64_t n = count * sample;
  if (n <= 0) return;
  mask_kernel<<<blocks_for(n), kThreads>>>(n, sample, x, mask, out);
  check_launch("mask_inputs/mask");
}

}  // namespace wsr::cuda
