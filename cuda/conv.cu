// Convolution kernels: every op is an implicit GEMM, C[M, N] = Σ_r A[m, r] · B[r, n], whose operands are
// read straight from the tensors (no im2col buffer). One tiled kernel computes all three; each op is a
// small "view" struct that says what M, N and r mean and where A, B and C live:
//   forward          C = y:  m = output channel k, n = output pixel (img, oy, ox), r = patch entry (c, i, j)
//   input gradient   C = dx: m = input channel c,  n = input pixel (img, iy, ix),  r = (k, i, j)
//   weight gradient  C = dw: m = output channel k, n = patch entry (c, i, j),     r = output pixel (img, oy, ox)
// The input gradient is computed one stride phase at a time: input pixels whose row iy share
// (iy + pad_top) mod stride_h (and likewise for columns) receive contributions from the same kernel taps
// only, so each phase is a dense GEMM over just those taps instead of one mostly multiplied by zeros.
// The weight gradient's reduction (over the whole batch) is split across blocks into partial sums that a
// second kernel adds in a fixed order, so results are deterministic.
// Indices are 32-bit: the binding guarantees every tensor has fewer than 2^31 elements.
#include "conv.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstdint>

#include "runtime.h"

namespace wsr::cuda {
namespace {

// One block computes a kTileM × kTileN tile of C, staging the reduction through shared memory kTileR
// steps at a time. Its 256 threads form a 16 × 16 grid (tx, ty); each owns the 4 × 4 outputs at rows
// ty + 16·i and columns tx + 16·j, so a warp's shared-memory reads and global stores cover consecutive
// columns.
constexpr int kTileM = 64, kTileN = 64, kTileR = 16, kThreads = 256;
constexpr int kGridSide = 16;  // kThreads = kGridSide², each thread owns (kTileM / kGridSide)² outputs
constexpr int kPerThread = kTileM / kGridSide;
static_assert(kTileM == kTileN && kGridSide * kGridSide == kThreads, "square tiles over a square thread grid");
static_assert(kTileM * kTileR == 4 * kThreads && kTileN * kTileR == 4 * kThreads, "each thread loads 4 A and 4 B values");

constexpr int64_t kMaxGridYZ = 65535;  // CUDA's limit on gridDim.y and gridDim.z; kernels loop beyond it

__host__ __device__ inline int ceil_div(int a, int b) { return a == 0 ? 0 : 1 + (a - 1) / b; }  // a >= 0, b >= 1
__device__ inline bool inside(int v, int size) { return static_cast<unsigned>(v) < static_cast<unsigned>(size); }

// ---- The three views ------------------------------------------------------------------------------------
// Each provides: m, n (GEMM size), r_begin, r_end (this slice's reduction range), Row row(m) and
// Col col(n) (per-row / per-column values computed once per tile), a(row, r), b(col, r), store(m, n, value).

// Forward. A = w [k, patch] (row-major, so a warp reads consecutive r), B = the patches of x.
struct ForwardView {
  WindowGeometry s;
  const float* x;
  const float* w;
  const float* bias;
  float* y;
  int m, n, r_begin, r_end;

  struct Row {
    const float* filter;  // w[k, :]
  };
  struct Col {
    const float* image;  // x[img]
    int iy0, ix0;        // top-left input pixel of the window (negative inside the padding)
  };

  __device__ Row row(int k) const { return {w + k * s.c * s.kh * s.kw}; }
  __device__ float a(const Row& row, int r) const { return row.filter[r]; }
  __device__ Col col(int pixel) const {
    const int P = s.oh * s.ow, img = pixel / P, p = pixel - img * P, oy = p / s.ow, ox = p - oy * s.ow;
    return {x + img * s.c * s.h * s.w, oy * s.stride_h - s.pad_top, ox * s.stride_w - s.pad_left};
  }
  __device__ float b(const Col& col, int r) const {
    const int taps = s.kh * s.kw, c = r / taps, tap = r - c * taps, i = tap / s.kw, j = tap - i * s.kw;
    const int iy = col.iy0 + i, ix = col.ix0 + j;
    return inside(iy, s.h) && inside(ix, s.w) ? col.image[(c * s.h + iy) * s.w + ix] : 0.f;
  }
  __device__ void store(int k, int pixel, float value) const {
    const int P = s.oh * s.ow, img = pixel / P, p = pixel - img * P;
    y[(img * s.k + k) * P + p] = value + (bias ? bias[k] : 0.f);
  }
};

struct ForwardOp {
  ForwardView v;
  int slices;
  __device__ ForwardView view(int) const { return v; }
};

// Input gradient, one stride phase per slice. The phase's input pixels are iy = qy + stride_h·a,
// ix = qx + stride_w·b (qy < stride_h, qx < stride_w); the taps reaching them are i = py + stride_h·ti with
// py = (qy + pad_top) mod stride_h (likewise j), and tap (ti, tj) of pixel (a, b) reads output pixel
// (oy0 + a − ti, ox0 + b − tj) where oy0 = (qy + pad_top − py) / stride_h, an exact division.
struct DgradView {
  WindowGeometry s;
  const float* dy;
  const float* w;
  float* dx;
  int m, n, r_begin, r_end;
  int qy, qx, py, px;  // the phase
  int th, tw;          // taps per axis in this phase (0 when stride > kernel leaves a phase untouched)
  int rows, cols;      // input pixels per axis in this phase
  int oy0, ox0;

  struct Row {
    int c;
  };
  struct Col {
    const float* image;  // dy[img]
    int oy, ox;          // output pixel that tap (0, 0) reads
  };

  __device__ Row row(int c) const { return {c}; }
  __device__ float a(const Row& row, int r) const {  // w[k, c, py + stride_h·ti, px + stride_w·tj]
    const int taps = th * tw, k = r / taps, t = r - k * taps, ti = t / tw, tj = t - ti * tw;
    const int i = py + s.stride_h * ti, j = px + s.stride_w * tj;
    return w[((k * s.c + row.c) * s.kh + i) * s.kw + j];
  }
  __device__ Col col(int pixel) const {
    const int per_image = rows * cols, img = pixel / per_image, rest = pixel - img * per_image;
    const int ay = rest / cols, bx = rest - ay * cols;
    return {dy + img * s.k * s.oh * s.ow, oy0 + ay, ox0 + bx};
  }
  __device__ float b(const Col& col, int r) const {
    const int taps = th * tw, k = r / taps, t = r - k * taps, ti = t / tw, tj = t - ti * tw;
    const int oy = col.oy - ti, ox = col.ox - tj;
    return inside(oy, s.oh) && inside(ox, s.ow) ? col.image[(k * s.oh + oy) * s.ow + ox] : 0.f;
  }
  __device__ void store(int c, int pixel, float value) const {
    const int per_image = rows * cols, img = pixel / per_image, rest = pixel - img * per_image;
    const int ay = rest / cols, bx = rest - ay * cols;
    const int iy = qy + s.stride_h * ay, ix = qx + s.stride_w * bx;
    dx[((img * s.c + c) * s.h + iy) * s.w + ix] = value;
  }
};

struct DgradOp {
  WindowGeometry s;
  const float* dy;
  const float* w;
  float* dx;
  int phases_w;  // phases per row axis is min(stride_w, w); slices = phases_h · phases_w
  int slices;

  __device__ DgradView view(int phase) const {
    DgradView v{s, dy, w, dx};
    v.qy = phase / phases_w;
    v.qx = phase - v.qy * phases_w;
    v.py = (v.qy + s.pad_top) % s.stride_h;
    v.px = (v.qx + s.pad_left) % s.stride_w;
    v.th = v.py < s.kh ? ceil_div(s.kh - v.py, s.stride_h) : 0;
    v.tw = v.px < s.kw ? ceil_div(s.kw - v.px, s.stride_w) : 0;
    v.rows = ceil_div(s.h - v.qy, s.stride_h);
    v.cols = ceil_div(s.w - v.qx, s.stride_w);
    v.oy0 = (v.qy + s.pad_top - v.py) / s.stride_h;
    v.ox0 = (v.qx + s.pad_left - v.px) / s.stride_w;
    v.m = s.c;
    v.n = s.n * v.rows * v.cols;
    v.r_begin = 0;
    v.r_end = s.k * v.th * v.tw;
    return v;
  }
};

// Weight gradient, one slice of the reduction (a range of output pixels over the batch) per slice. A = dy
// viewed as [k, (img, p)], so a warp reads consecutive p; B = the patches of x, transposed.
struct WgradView {
  WindowGeometry s;
  const float* x;
  const float* dy;
  float* out;  // dw, or this slice's partial sum [k, patch]
  int m, n, r_begin, r_end;

  struct Row {
    int k;
  };
  struct Col {
    const float* plane;  // x[0, c]
    int di, dj;          // tap offset minus padding: input pixel = (oy·stride_h + di, ox·stride_w + dj)
  };

  __device__ Row row(int k) const { return {k}; }
  __device__ float a(const Row& row, int r) const {
    const int P = s.oh * s.ow, img = r / P, p = r - img * P;
    return dy[(img * s.k + row.k) * P + p];
  }
  __device__ Col col(int entry) const {
    const int taps = s.kh * s.kw, c = entry / taps, tap = entry - c * taps, i = tap / s.kw, j = tap - i * s.kw;
    return {x + c * s.h * s.w, i - s.pad_top, j - s.pad_left};
  }
  __device__ float b(const Col& col, int r) const {
    const int P = s.oh * s.ow, img = r / P, p = r - img * P, oy = p / s.ow, ox = p - oy * s.ow;
    const int iy = oy * s.stride_h + col.di, ix = ox * s.stride_w + col.dj;
    return inside(iy, s.h) && inside(ix, s.w) ? col.plane[(img * s.c * s.h + iy) * s.w + ix] : 0.f;
  }
  __device__ void store(int k, int entry, float value) const { out[static_cast<int64_t>(k) * n + entry] = value; }
};

struct WgradOp {
  WindowGeometry s;
  const float* x;
  const float* dy;
  float* dw;
  float* partials;  // [slices, k, patch] when slices > 1
  int slices;

  __device__ WgradView view(int slice) const {
    const int patch = s.c * s.kh * s.kw;
    const int64_t length = static_cast<int64_t>(s.n) * s.oh * s.ow;
    WgradView v{s, x, dy, slices == 1 ? dw : partials + static_cast<int64_t>(slice) * s.k * patch};
    v.m = s.k;
    v.n = patch;
    v.r_begin = static_cast<int>(length * slice / slices);
    v.r_end = static_cast<int>(length * (slice + 1) / slices);
    return v;
  }
};

// ---- The tiled kernel ----------------------------------------------------------------------------------

// Computes tile (tile_m, tile_n) of view v. Called by every thread of the block (it synchronises).
template <class View>
__device__ void gemm_tile(const View& v, int tile_m, int tile_n, float (&as)[kTileR][kTileM + 1],
                          float (&bs)[kTileR][kTileN]) {
  const int t = threadIdx.x, tx = t % kGridSide, ty = t / kGridSide;
  const int m0 = tile_m * kTileM, n0 = tile_n * kTileN;

  // Loads: thread t fetches A at (row m0 + t/16 + 16·l, step t%16) and B at (step t/64 + 4·l, column
  // n0 + t%64) for l = 0..3, so consecutive threads read consecutive reduction steps of A and consecutive
  // columns of B. Rows and columns are decoded once per tile.
  const int a_step = t % kTileR, a_row0 = t / kTileR;
  const int b_col = t % kTileN, b_step0 = t / kTileN;
  typename View::Row rows[4];
  bool row_ok[4];
#pragma unroll
  for (int l = 0; l < 4; ++l) {
    const int m = m0 + a_row0 + 16 * l;
    row_ok[l] = m < v.m;
    if (row_ok[l]) rows[l] = v.row(m);
  }
  const bool col_ok = n0 + b_col < v.n;
  typename View::Col col{};
  if (col_ok) col = v.col(n0 + b_col);

  float acc[kPerThread][kPerThread] = {};
  for (int r0 = v.r_begin; r0 < v.r_end; r0 += kTileR) {
#pragma unroll
    for (int l = 0; l < 4; ++l) {
      const int r = r0 + a_step;
      as[a_step][a_row0 + 16 * l] = row_ok[l] && r < v.r_end ? v.a(rows[l], r) : 0.f;
    }
#pragma unroll
    for (int l = 0; l < 4; ++l) {
      const int step = b_step0 + 4 * l, r = r0 + step;
      bs[step][b_col] = col_ok && r < v.r_end ? v.b(col, r) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int step = 0; step < kTileR; ++step) {
      float av[kPerThread], bv[kPerThread];
#pragma unroll
      for (int i = 0; i < kPerThread; ++i) av[i] = as[step][ty + kGridSide * i];
#pragma unroll
      for (int j = 0; j < kPerThread; ++j) bv[j] = bs[step][tx + kGridSide * j];
#pragma unroll
      for (int i = 0; i < kPerThread; ++i)
#pragma unroll
        for (int j = 0; j < kPerThread; ++j) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
    }
    __syncthreads();  // the next step overwrites the tiles
  }

#pragma unroll
  for (int i = 0; i < kPerThread; ++i)
#pragma unroll
    for (int j = 0; j < kPerThread; ++j) {
      const int m = m0 + ty + kGridSide * i, n = n0 + tx + kGridSide * j;
      if (m < v.m && n < v.n) v.store(m, n, acc[i][j]);
    }
}

// Grid: x over column tiles, y over row tiles, z over slices; each loops when the problem has more than
// the grid (all loop bounds are uniform across the block, as __syncthreads requires).
template <class Op>
__global__ void __launch_bounds__(kThreads) implicit_gemm(Op op) {
  // as is padded by one column: the loads write it down columns, which would otherwise hit one bank.
  __shared__ float as[kTileR][kTileM + 1];
  __shared__ float bs[kTileR][kTileN];
  for (int slice = blockIdx.z; slice < op.slices; slice += gridDim.z) {
    const auto v = op.view(slice);
    const int tiles_m = ceil_div(v.m, kTileM), tiles_n = ceil_div(v.n, kTileN);
    for (int tile_m = blockIdx.y; tile_m < tiles_m; tile_m += gridDim.y)
      for (int tile_n = blockIdx.x; tile_n < tiles_n; tile_n += gridDim.x) gemm_tile(v, tile_m, tile_n, as, bs);
  }
}

// out[i] = Σ_slice partials[slice, i], in slice order.
__global__ void sum_partials(const float* partials, int slices, int count, float* out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    float total = 0.f;
    for (int slice = 0; slice < slices; ++slice) total += partials[static_cast<int64_t>(slice) * count + i];
    out[i] = total;
  }
}

// db[k] = Σ over images and output pixels of dy[img, k, p]: one block per channel, a fixed-shape tree sum.
__global__ void __launch_bounds__(kThreads) bias_grad(const float* dy, int images, int channels, int P, float* db) {
  __shared__ float sums[kThreads];
  const int count = images * P;
  for (int k = blockIdx.x; k < channels; k += gridDim.x) {
    float sum = 0.f;
    for (int e = threadIdx.x; e < count; e += kThreads) {  // e = (img, p): consecutive threads, consecutive p
      const int img = e / P, p = e - img * P;
      sum += dy[(img * channels + k) * P + p];
    }
    sums[threadIdx.x] = sum;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) db[k] = sums[0];
    __syncthreads();  // sums is reused for the next channel
  }
}

template <class Op>
void launch_implicit_gemm(const Op& op, int64_t tiles_m, int64_t tiles_n, const char* what) {
  if (tiles_m == 0 || tiles_n == 0 || op.slices == 0) return;
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(tiles_n, INT_MAX)),
                  static_cast<unsigned>(std::min(tiles_m, kMaxGridYZ)),
                  static_cast<unsigned>(std::min<int64_t>(op.slices, kMaxGridYZ)));
  implicit_gemm<<<grid, kThreads>>>(op);
  check_launch(what);
}

// Weight-gradient slices: enough blocks to fill a large GPU, each slice at least kMinSliceSteps long.
// Depends on the shape alone, so the summation order (and the result) is the same on every run.
constexpr int64_t kTargetBlocks = 264, kMinSliceSteps = 256, kMaxSlices = 64;

int weight_grad_slices(const WindowGeometry& s) {
  const int64_t tiles = int64_t{ceil_div(s.k, kTileM)} * ceil_div(static_cast<int>(s.patch_size()), kTileN);
  const int64_t length = int64_t{s.n} * s.positions();
  if (tiles == 0) return 1;
  int64_t slices = (kTargetBlocks + tiles - 1) / tiles;
  slices = std::min({slices, length / kMinSliceSteps, kMaxSlices});
  return static_cast<int>(std::max<int64_t>(slices, 1));
}

}  // namespace

void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y) {
  const int patch = static_cast<int>(s.patch_size()), pixels = static_cast<int>(int64_t{s.n} * s.positions());
  const ForwardOp op{ForwardView{s, x, w, b, y, s.k, pixels, 0, patch}, 1};
  launch_implicit_gemm(op, ceil_div(s.k, kTileM), ceil_div(pixels, kTileN), "conv2d_forward");
}

void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx) {
  const int phases_h = std::min(s.stride_h, s.h), phases_w = std::min(s.stride_w, s.w);
  const DgradOp op{s, dy, w, dx, phases_w, phases_h * phases_w};
  // Phase (0, 0) has the most pixels: ceil(h / stride_h) rows by ceil(w / stride_w) columns per image.
  const int64_t pixels = int64_t{s.n} * ceil_div(s.h, s.stride_h) * ceil_div(s.w, s.stride_w);
  launch_implicit_gemm(op, ceil_div(s.c, kTileM), (pixels + kTileN - 1) / kTileN, "conv2d_backward_input");
}

size_t conv2d_backward_weight_workspace(const WindowGeometry& s) {
  const int slices = weight_grad_slices(s);
  return slices > 1 ? static_cast<size_t>(slices) * static_cast<size_t>(s.conv_weight_size()) : 0;
}

void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db,
                            float* workspace) {
  const int slices = weight_grad_slices(s), weights = static_cast<int>(s.conv_weight_size());
  const WgradOp op{s, x, dy, dw, workspace, slices};
  launch_implicit_gemm(op, ceil_div(s.k, kTileM), ceil_div(static_cast<int>(s.patch_size()), kTileN),
                       "conv2d_backward_weight");
  if (slices > 1 && weights > 0) {
    const int blocks = std::min(ceil_div(weights, kThreads), 4096);
    sum_partials<<<blocks, kThreads>>>(workspace, slices, weights, dw);
    check_launch("conv2d_backward_weight (sum of partials)");
  }
  if (db && s.k > 0) {
    bias_grad<<<std::min(s.k, 65535), kThreads>>>(dy, s.n, s.k, static_cast<int>(s.positions()), db);
    check_launch("conv2d_backward_weight (bias)");
  }
}

}  // namespace wsr::cuda
