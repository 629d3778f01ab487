#include "cuda/prelude.cuh"

#include "cuda/window_layout.h"

namespace wsr::cuda {
namespace {

// One thread per element of dx, consecutive threads on consecutive ix. Output row oy covers padded row
// py = iy + pad_top when 0 <= py − oy·stride_h < kh (likewise columns).
__global__ void sum_patch_gradients_kernel(const WindowGeometry s, const float* patches, int64_t image_stride,
                                           int64_t position_stride, float* dx) {
  const int64_t total = int64_t{s.n} * s.c * s.h * s.w;
  const int taps = s.kh * s.kw;
  for (int64_t e = grid_start(); e < total; e += grid_step()) {
    const int t = static_cast<int>(e);  // dx has fewer than 2^31 elements (the launcher checks)
    const int ix = t % s.w, iy = t / s.w % s.h, c = t / (s.w * s.h) % s.c, img = t / (s.w * s.h * s.c);
    const int py = iy + s.pad_top, px = ix + s.pad_left;
    const int oy_lo = py < s.kh ? 0 : (py - s.kh) / s.stride_h + 1, oy_hi = min(py / s.stride_h, s.oh - 1);
    const int ox_lo = px < s.kw ? 0 : (px - s.kw) / s.stride_w + 1, ox_hi = min(px / s.stride_w, s.ow - 1);
    const float* image = patches + img * image_stride + c * taps;
    float sum = 0.f;
    for (int oy = oy_lo; oy <= oy_hi; ++oy) {
      const int ki = py - oy * s.stride_h;
      for (int ox = ox_lo; ox <= ox_hi; ++ox) {
        const int kj = px - ox * s.stride_w;
        sum += image[(int64_t{oy} * s.ow + ox) * position_stride + ki * s.kw + kj];
      }
    }
    dx[e] = sum;
  }
}

// 32 × 32 tiles through shared memory (one padding column: the transposed reads hit distinct banks);
// blocks of 32 × 8 threads, each moving 4 elements. Grid: x over column tiles, y over row tiles, both looping.
constexpr int kTransposeTile = 32, kTransposeRows = 8;

__global__ void transpose_kernel(int64_t rows, int64_t cols, const float* src, float* dst) {
  __shared__ float tile[kTransposeTile][kTransposeTile + 1];
  const int64_t row_tiles = ceil_div(rows, kTransposeTile), col_tiles = ceil_div(cols, kTransposeTile);
  for (int64_t tr = blockIdx.y; tr < row_tiles; tr += gridDim.y)
    for (int64_t tc = blockIdx.x; tc < col_tiles; tc += gridDim.x) {
      const int64_t r0 = tr * kTransposeTile, c0 = tc * kTransposeTile;
      for (int i = threadIdx.y; i < kTransposeTile; i += kTransposeRows) {
        const int64_t r = r0 + i, c = c0 + threadIdx.x;
        if (r < rows && c < cols) tile[i][threadIdx.x] = src[r * cols + c];
      }
      __syncthreads();
      for (int i = threadIdx.y; i < kTransposeTile; i += kTransposeRows) {
        const int64_t c = c0 + i, r = r0 + threadIdx.x;
        if (r < rows && c < cols) dst[c * rows + r] = tile[threadIdx.x][i];
      }
      __syncthreads();  // the tile is refilled for the next (tr, tc)
    }
}

}  // namespace

void sum_patch_gradients(const WindowGeometry& s, const float* patches, int64_t image_stride, int64_t position_stride,
                         float* dx, const char* what) {
  const int64_t total = s.input_size();
  if (total == 0) return;
  require_int32(total, what);
  sum_patch_gradients_kernel<<<blocks_for(total), kThreads>>>(s, patches, image_stride, position_stride, dx);
  check_launch((std::string(what) + "/sum_patch_gradients").c_str());
}

void transpose(int64_t rows, int64_t cols, const float* src, float* dst, const char* what) {
  if (rows == 0 || cols == 0) return;
  const dim3 grid(grid_dim(ceil_div(cols, kTransposeTile), kMaxGridX), grid_dim(ceil_div(rows, kTransposeTile), kMaxGridYZ));
  transpose_kernel<<<grid, dim3(kTransposeTile, kTransposeRows)>>>(rows, cols, src, dst);
  check_launch((std::string(what) + "/transpose").c_str());
}

}  // namespace wsr::cuda
