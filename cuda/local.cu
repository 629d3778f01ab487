// Locally connected layer on the GPU. Every operation is one small GEMM per output position p,
// run by one tiled kernel (position_gemm_kernel) with the operands read straight from the
// tensors (no im2col buffer):
//   forward  y_p[k, n]    = Σ_r w_p[k, r] · patch_p[r, n]          (+ b_p[k])
//   dgrad    dpatch_p[n, r] = Σ_k dy_p[n, k] · w_p[k, r]            then a gather sums into dx
//   wgrad    dw_p[k, r]   = Σ_n dy_p[k, n] · patch_p[n, r]
// where r = (c, ki, kj) runs over c·kh·kw taps. A position's bank w_p = w[p] is one contiguous
// [k, c·kh·kw] block, so a block serving position p reads its rows with consecutive threads on
// consecutive addresses ("memory-coalesced per output position"), and dw_p is written the same way.
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>

#include "local.h"
#include "runtime.h"

namespace wsr::cuda {
namespace {

// A block computes a kTileM × kTileN tile of one position's C with kThreads = 16 × 16 threads;
// thread (tm, tn) owns C[m0 + tm + 16 i][n0 + tn + 16 j] for i, j < 4, so in one warp the A reads
// of shared memory are broadcasts and the B reads are consecutive. The reduction (q) advances in
// slices of kTileQ staged in shared memory.
constexpr int kTileM = 64, kTileN = 64, kTileQ = 32;
constexpr int kSide = 16, kSub = 4;  // kSide · kSub == kTileM == kTileN
constexpr int kThreads = kSide * kSide;
constexpr int kElementwiseThreads = 256;

// The value under tap r = (c, ki, kj) of image n's window at output position p; 0 in the padding.
__device__ __forceinline__ float patch_value(const WindowGeometry& s, const float* x, int64_t p, int64_t n, int64_t r) {
  const int taps = s.kh * s.kw;
  const int c = static_cast<int>(r / taps);
  const int tap = static_cast<int>(r - int64_t{c} * taps);
  const int ki = tap / s.kw, kj = tap - ki * s.kw;
  const int oi = static_cast<int>(p / s.ow), oj = static_cast<int>(p - int64_t{oi} * s.ow);
  const int ih = oi * s.stride_h - s.pad_top + ki;
  const int iw = oj * s.stride_w - s.pad_left + kj;
  if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) return 0.f;
  return x[((n * s.c + c) * s.h + ih) * int64_t{s.w} + iw];
}

// C_p[m, n] = Σ_q A_p(m, q) · B_p(q, n) for every position p < op.P; op.store receives each C_p
// element. Op::kAQFastest / kBQFastest pick which index consecutive threads walk when staging an
// operand slice: the one along which that operand is contiguous (or least strided) in memory.
// Grid: x over n tiles, y over m tiles, z over positions, each loop grid-strided so any size works.
template <class Op>
__global__ void __launch_bounds__(kThreads) position_gemm_kernel(const Op op) {
  // +1 column: q-fastest stores (consecutive qq, one mm) land in distinct banks.
  __shared__ float a_tile[kTileQ][kTileM + 1];
  __shared__ float b_tile[kTileQ][kTileN + 1];
  const int tid = threadIdx.x;
  const int tm = tid / kSide, tn = tid % kSide;
  const int64_t tiles_m = (op.M + kTileM - 1) / kTileM, tiles_n = (op.N + kTileN - 1) / kTileN;

  for (int64_t p = blockIdx.z; p < op.P; p += gridDim.z) {
    for (int64_t bm = blockIdx.y; bm < tiles_m; bm += gridDim.y) {
      for (int64_t bn = blockIdx.x; bn < tiles_n; bn += gridDim.x) {
        const int64_t m0 = bm * kTileM, n0 = bn * kTileN;
        float acc[kSub][kSub] = {};
        for (int64_t q0 = 0; q0 < op.Q; q0 += kTileQ) {
          for (int e = tid; e < kTileQ * kTileM; e += kThreads) {
            const int qq = Op::kAQFastest ? e % kTileQ : e / kTileM;
            const int mm = Op::kAQFastest ? e / kTileQ : e % kTileM;
            const int64_t m = m0 + mm, q = q0 + qq;
            a_tile[qq][mm] = (m < op.M && q < op.Q) ? op.load_a(p, m, q) : 0.f;
          }
          for (int e = tid; e < kTileQ * kTileN; e += kThreads) {
            const int qq = Op::kBQFastest ? e % kTileQ : e / kTileN;
            const int nn = Op::kBQFastest ? e / kTileQ : e % kTileN;
            const int64_t n = n0 + nn, q = q0 + qq;
            b_tile[qq][nn] = (n < op.N && q < op.Q) ? op.load_b(p, q, n) : 0.f;
          }
          __syncthreads();
#pragma unroll 8
          for (int qq = 0; qq < kTileQ; ++qq) {
            float a[kSub], b[kSub];
#pragma unroll
            for (int i = 0; i < kSub; ++i) a[i] = a_tile[qq][tm + kSide * i];
#pragma unroll
            for (int j = 0; j < kSub; ++j) b[j] = b_tile[qq][tn + kSide * j];
#pragma unroll
            for (int i = 0; i < kSub; ++i)
#pragma unroll
              for (int j = 0; j < kSub; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
          }
          __syncthreads();  // the tiles are overwritten by the next slice
        }
#pragma unroll
        for (int i = 0; i < kSub; ++i) {
#pragma unroll
          for (int j = 0; j < kSub; ++j) {
            const int64_t m = m0 + tm + kSide * i, n = n0 + tn + kSide * j;
            if (m < op.M && n < op.N) op.store(p, m, n, acc[i][j]);
          }
        }
      }
    }
  }
}

// Forward: C_p = y_p as [k, n]; A = w_p [k, r]; B = patches [r, n].
struct ForwardOp {
  static constexpr bool kAQFastest = true;  // consecutive taps of one filter row: contiguous in w_p
  static constexpr bool kBQFastest = true;  // consecutive taps are (mostly) consecutive input columns
  WindowGeometry s;
  const float* x;
  const float* w;
  const float* bias;  // may be null
  float* y;
  int64_t P, M, N, Q;  // positions, k, batch, c·kh·kw
  __device__ float load_a(int64_t p, int64_t k, int64_t r) const { return w[(p * M + k) * Q + r]; }
  __device__ float load_b(int64_t p, int64_t r, int64_t n) const { return patch_value(s, x, p, n, r); }
  __device__ void store(int64_t p, int64_t k, int64_t n, float v) const {
    y[(n * M + k) * P + p] = v + (bias ? bias[p * M + k] : 0.f);  // y[n, k, p]
  }
};

// Input gradient, first half: C_p = dpatch_p [n, r] into the workspace; A = dy_p [n, k]; B = w_p [k, r].
struct PatchGradOp {
  static constexpr bool kAQFastest = true;   // consecutive k are P apart in dy (consecutive n: k·P apart)
  static constexpr bool kBQFastest = false;  // consecutive taps r: contiguous in w_p
  const float* dy;
  const float* w;
  float* workspace;  // [P, batch, c·kh·kw]
  int64_t P, M, N, Q, K;  // positions, batch, c·kh·kw, k (== Q)
  __device__ float load_a(int64_t p, int64_t n, int64_t k) const { return dy[(n * K + k) * P + p]; }
  __device__ float load_b(int64_t p, int64_t k, int64_t r) const { return w[(p * K + k) * N + r]; }
  __device__ void store(int64_t p, int64_t n, int64_t r, float v) const { workspace[(p * M + n) * N + r] = v; }
};

// Weight gradient: C_p = dw_p [k, r]; A = dy_p as [k, n]; B = patches [n, r].
struct WeightGradOp {
  static constexpr bool kAQFastest = false;  // consecutive k are P apart in dy (consecutive n: k·P apart)
  static constexpr bool kBQFastest = false;  // consecutive taps r: (mostly) consecutive input columns
  WindowGeometry s;
  const float* x;
  const float* dy;
  float* dw;
  int64_t P, M, N, Q;  // positions, k, c·kh·kw, batch
  __device__ float load_a(int64_t p, int64_t k, int64_t n) const { return dy[(n * M + k) * P + p]; }
  __device__ float load_b(int64_t p, int64_t n, int64_t r) const { return patch_value(s, x, p, n, r); }
  __device__ void store(int64_t p, int64_t k, int64_t r, float v) const { dw[(p * M + k) * N + r] = v; }
};

template <class Op>
void launch_position_gemm(const Op& op, const char* what) {
  const int64_t tiles_m = (op.M + kTileM - 1) / kTileM, tiles_n = (op.N + kTileN - 1) / kTileN;
  if (op.P <= 0 || tiles_m <= 0 || tiles_n <= 0) return;
  // Grid dimensions are capped at the hardware limits; the kernel loops over whatever is left.
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(tiles_n, INT_MAX)),
                  static_cast<unsigned>(std::min<int64_t>(tiles_m, 65535)),
                  static_cast<unsigned>(std::min<int64_t>(op.P, 65535)));
  position_gemm_kernel<Op><<<grid, kThreads>>>(op);
  check_launch(what);
}

unsigned elementwise_blocks(int64_t total) {
  return static_cast<unsigned>(std::clamp<int64_t>((total + kElementwiseThreads - 1) / kElementwiseThreads, 1, 1 << 20));
}

__device__ __forceinline__ int64_t global_thread() { return int64_t{blockIdx.x} * blockDim.x + threadIdx.x; }
__device__ __forceinline__ int64_t grid_threads() { return int64_t{gridDim.x} * blockDim.x; }

// Input gradient, second half: dx[n, c, ih, iw] = Σ over the positions whose window covers
// (ih, iw) of that position's patch gradient at the tap over (ih, iw). A gather, so there are no
// atomics and the sum runs in position order. Consecutive threads ↔ consecutive iw.
__global__ void gather_input_grad_kernel(const WindowGeometry s, const float* workspace, float* dx) {
  const int64_t total = int64_t{s.n} * s.c * s.h * s.w;
  const int64_t taps = int64_t{s.c} * s.kh * s.kw;
  for (int64_t t = global_thread(); t < total; t += grid_threads()) {
    const int iw = static_cast<int>(t % s.w);
    int64_t rest = t / s.w;
    const int ih = static_cast<int>(rest % s.h);
    rest /= s.h;
    const int c = static_cast<int>(rest % s.c);
    const int64_t n = rest / s.c;
    // Padded coordinates; output row oi covers them when 0 <= py - oi·stride_h < kh.
    const int py = ih + s.pad_top, px = iw + s.pad_left;
    const int oi_lo = py < s.kh ? 0 : (py - s.kh) / s.stride_h + 1;
    const int oi_hi = min(py / s.stride_h, s.oh - 1);
    const int oj_lo = px < s.kw ? 0 : (px - s.kw) / s.stride_w + 1;
    const int oj_hi = min(px / s.stride_w, s.ow - 1);
    float sum = 0.f;
    for (int oi = oi_lo; oi <= oi_hi; ++oi) {
      const int ki = py - oi * s.stride_h;
      for (int oj = oj_lo; oj <= oj_hi; ++oj) {
        const int kj = px - oj * s.stride_w;
        const int64_t p = int64_t{oi} * s.ow + oj;
        sum += workspace[(p * s.n + n) * taps + (int64_t{c} * s.kh + ki) * s.kw + kj];
      }
    }
    dx[t] = sum;
  }
}

// db[p, k] = Σ_n dy[n, k, p]. Thread t ↔ (k, p) with p fastest, so a warp reads consecutive dy.
__global__ void bias_grad_kernel(const WindowGeometry s, const float* dy, float* db) {
  const int64_t P = int64_t{s.oh} * s.ow, total = P * s.k;
  for (int64_t t = global_thread(); t < total; t += grid_threads()) {
    const int64_t k = t / P, p = t - k * P;
    float sum = 0.f;
    for (int64_t n = 0; n < s.n; ++n) sum += dy[(n * s.k + k) * P + p];
    db[p * s.k + k] = sum;
  }
}

// dst[p, i] = src[i] for p < positions: consecutive threads copy consecutive elements.
__global__ void tile_kernel(int64_t positions, int64_t size, const float* src, float* dst) {
  const int64_t total = positions * size;
  for (int64_t t = global_thread(); t < total; t += grid_threads()) dst[t] = src[t % size];
}

// dst[i] = mean over p of src[p, i], summed in double in position order (as the CPU does).
__global__ void mean_kernel(int64_t positions, int64_t size, const float* src, float* dst) {
  for (int64_t i = global_thread(); i < size; i += grid_threads()) {
    double sum = 0.0;
    for (int64_t p = 0; p < positions; ++p) sum += src[p * size + i];
    dst[i] = static_cast<float>(sum / static_cast<double>(positions));
  }
}

}  // namespace

void local2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y) {
  ForwardOp op{s, x, w, b, y, s.positions(), s.k, s.n, s.patch_size()};
  launch_position_gemm(op, "local2d_forward");
}

void local2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx, float* workspace) {
  PatchGradOp op{dy, w, workspace, s.positions(), s.n, s.patch_size(), s.k, s.k};
  launch_position_gemm(op, "local2d_backward_input (patch gradients)");
  const int64_t total = s.input_size();
  if (total == 0) return;
  gather_input_grad_kernel<<<elementwise_blocks(total), kElementwiseThreads>>>(s, workspace, dx);
  check_launch("local2d_backward_input (gather)");
}

void local2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db) {
  WeightGradOp op{s, x, dy, dw, s.positions(), s.k, s.patch_size(), s.n};
  launch_position_gemm(op, "local2d_backward_weight");
  if (!db) return;
  bias_grad_kernel<<<elementwise_blocks(s.positions() * s.k), kElementwiseThreads>>>(s, dy, db);
  check_launch("local2d_backward_weight (bias)");
}

void conv_to_local(int64_t positions, int64_t bank_size, int64_t k, const float* conv_w, const float* conv_b,
                   float* local_w, float* local_b) {
  tile_kernel<<<elementwise_blocks(positions * bank_size), kElementwiseThreads>>>(positions, bank_size, conv_w, local_w);
  check_launch("conv_to_local");
  if (!conv_b || !local_b) return;
  tile_kernel<<<elementwise_blocks(positions * k), kElementwiseThreads>>>(positions, k, conv_b, local_b);
  check_launch("conv_to_local (bias)");
}

void local_to_conv(int64_t positions, int64_t bank_size, int64_t k, const float* local_w, const float* local_b,
                   float* conv_w, float* conv_b) {
  mean_kernel<<<elementwise_blocks(bank_size), kElementwiseThreads>>>(positions, bank_size, local_w, conv_w);
  check_launch("local_to_conv");
  if (!local_b || !conv_b) return;
  mean_kernel<<<elementwise_blocks(k), kElementwiseThreads>>>(positions, k, local_b, conv_b);
  check_launch("local_to_conv (bias)");
}

}  // namespace wsr::cuda
