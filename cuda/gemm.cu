// Batched SGEMM: shared-memory tiles + 8x8 (or 4x4) register blocking per thread, bounds-checked for
// every size. One thread block computes one BM x BN tile of one C_i:
//
//   for k0 in [0, K) step BK:
//     As[k][i] = op(A_i)[m0 + i, k0 + k]    (BK x BM, zero outside the matrix)
//     Bs[k][j] = op(B_i)[k0 + k, n0 + j]    (BK x BN, zero outside the matrix)
//     acc[r][c] += As[k][row r] * Bs[k][col c]   for the thread's TM rows and TN columns
//   C_i[m, n] = alpha * acc + beta * C_i[m, n]  (C not read when beta == 0; only m < M, n < N written)
//
// Thread (ty, tx) owns rows  m0 + ty*TM + r        (r < TM, contiguous)
//                    columns n0 + tx + c*THREADS_N (c < TN, interleaved so a warp reads consecutive
//                    shared-memory words and writes consecutive C addresses).
// Grid: x = column tiles, y = row tiles, z = batch items; each is a grid-stride loop, so any size
// (batch > 65535, more than 65535 row tiles) is covered by a bounded grid (cuda/prelude.cuh caps it).
#include "cuda/prelude.cuh"

#include "cuda/gemm.h"

namespace wsr::cuda {
namespace {

template <int BM, int BN, int BK, int TM, int TN, bool TRANS_A, bool TRANS_B>
__global__ void __launch_bounds__((BM / TM) * (BN / TN), 2)  // <= 128 registers: two blocks per SM
    sgemm_tiled(int64_t M, int64_t N, int64_t K, float alpha, const float* __restrict__ A, int64_t lda,
                int64_t strideA, const float* __restrict__ B, int64_t ldb, int64_t strideB, float beta,
                float* __restrict__ C, int64_t ldc, int64_t strideC, int64_t batch) {
  constexpr int THREADS_N = BN / TN;               // threads along the columns of the tile
  constexpr int THREADS = (BM / TM) * THREADS_N;   // == blockDim.x
  constexpr int PAD = 4;                           // breaks bank conflicts on the transposing stores
  static_assert(BM % TM == 0 && BN % TN == 0, "tile must divide into per-thread blocks");

  __shared__ __align__(16) float As[BK][BM + PAD];  // As[k][i] = op(A)[m0 + i, k0 + k]
  __shared__ __align__(16) float Bs[BK][BN + PAD];  // Bs[k][j] = op(B)[k0 + k, n0 + j]

  const int tid = threadIdx.x;
  const int ty = tid / THREADS_N;  // row group:    rows ty*TM .. ty*TM + TM - 1 of the tile
  const int tx = tid % THREADS_N;  // column lane:  columns tx, tx + THREADS_N, ... of the tile
  const int64_t tiles_m = (M + BM - 1) / BM, tiles_n = (N + BN - 1) / BN;

  for (int64_t item = blockIdx.z; item < batch; item += gridDim.z) {
    const float* Ai = A + item * strideA;
    const float* Bi = B + item * strideB;
    float* Ci = C + item * strideC;
    for (int64_t tm = blockIdx.y; tm < tiles_m; tm += gridDim.y) {
      const int64_t m0 = tm * BM;
      for (int64_t tn = blockIdx.x; tn < tiles_n; tn += gridDim.x) {
        const int64_t n0 = tn * BN;

        float acc[TM][TN];
#pragma unroll
        for (int r = 0; r < TM; ++r)
#pragma unroll
          for (int c = 0; c < TN; ++c) acc[r][c] = 0.0f;

        for (int64_t k0 = 0; k0 < K; k0 += BK) {
          // Stage op(A)[m0 .. m0+BM, k0 .. k0+BK] into As. Consecutive threads take consecutive addresses
          // of the stored matrix: along k when A is [M,K] (not transposed), along m when A is [K,M].
          for (int e = tid; e < BM * BK; e += THREADS) {
            const int i = TRANS_A ? e % BM : e / BK;
            const int k = TRANS_A ? e / BM : e % BK;
            const int64_t gm = m0 + i, gk = k0 + k;
            float v = 0.0f;
            if (gm < M && gk < K) v = TRANS_A ? Ai[gk * lda + gm] : Ai[gm * lda + gk];
            As[k][i] = v;
          }
          // Stage op(B)[k0 .. k0+BK, n0 .. n0+BN] into Bs: along n when B is [K,N], along k when B is [N,K].
          for (int e = tid; e < BN * BK; e += THREADS) {
            const int j = TRANS_B ? e / BK : e % BN;
            const int k = TRANS_B ? e % BK : e / BN;
            const int64_t gk = k0 + k, gn = n0 + j;
            float v = 0.0f;
            if (gk < K && gn < N) v = TRANS_B ? Bi[gn * ldb + gk] : Bi[gk * ldb + gn];
            Bs[k][j] = v;
          }
          __syncthreads();

#pragma unroll 2  // (full unrolling lets the compiler hoist every shared load and spill at 128 registers)
          for (int k = 0; k < BK; ++k) {
            float a[TM], b[TN];
#pragma unroll
            for (int r = 0; r < TM; ++r) a[r] = As[k][ty * TM + r];
#pragma unroll
            for (int c = 0; c < TN; ++c) b[c] = Bs[k][tx + c * THREADS_N];
#pragma unroll
            for (int r = 0; r < TM; ++r)
#pragma unroll
              for (int c = 0; c < TN; ++c) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
          }
          __syncthreads();  // everyone is done reading As/Bs before the next stage overwrites them
        }

        // Write back the thread's TM x TN outputs that lie inside C.
#pragma unroll
        for (int r = 0; r < TM; ++r) {
          const int64_t gm = m0 + ty * TM + r;
          if (gm >= M) continue;
          float* c_row = Ci + gm * ldc;
#pragma unroll
          for (int c = 0; c < TN; ++c) {
            const int64_t gn = n0 + tx + c * THREADS_N;
            if (gn >= N) continue;
            float v = alpha * acc[r][c];
            if (beta != 0.0f) v = fmaf(beta, c_row[gn], v);
            c_row[gn] = v;
          }
        }
      }
    }
  }
}

struct Args {
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda, strideA;
  const float* B;
  int64_t ldb, strideB;
  float beta;
  float* C;
  int64_t ldc, strideC, batch;
};

template <int BM, int BN, int BK, int TM, int TN, bool TA, bool TB>
void launch_as(const Args& a) {
  constexpr int threads = (BM / TM) * (BN / TN);
  const int64_t tiles_m = (a.M + BM - 1) / BM, tiles_n = (a.N + BN - 1) / BN;
  const dim3 grid(grid_dim(tiles_n, kMaxGridX), grid_dim(tiles_m, kMaxGridYZ), grid_dim(a.batch, kMaxGridYZ));
  sgemm_tiled<BM, BN, BK, TM, TN, TA, TB><<<grid, threads, 0, 0>>>(a.M, a.N, a.K, a.alpha, a.A, a.lda, a.strideA,
                                                                    a.B, a.ldb, a.strideB, a.beta, a.C, a.ldc,
                                                                    a.strideC, a.batch);
}

template <int BM, int BN, int BK, int TM, int TN>
void launch_tile(bool transA, bool transB, const Args& a) {
  if (transA) {
    if (transB) launch_as<BM, BN, BK, TM, TN, true, true>(a);
    else launch_as<BM, BN, BK, TM, TN, true, false>(a);
  } else {
    if (transB) launch_as<BM, BN, BK, TM, TN, false, true>(a);
    else launch_as<BM, BN, BK, TM, TN, false, false>(a);
  }
}

void launch(bool transA, bool transB, const Args& a) {
  // 128x128 tiles (256 threads, 8x8 each) when they alone give every SM a couple of blocks; otherwise
  // 64x64 tiles (256 threads, 4x4 each) so small products still spread over the GPU.
  const int64_t big_blocks = ((a.M + 127) / 128) * ((a.N + 127) / 128) * a.batch;
  if (big_blocks >= 2 * static_cast<int64_t>(multiprocessor_count()))
    launch_tile<128, 128, 8, 8, 8>(transA, transB, a);
  else
    launch_tile<64, 64, 16, 4, 4>(transA, transB, a);
  check_launch("sgemm_batched");
}

}  // namespace

void sgemm_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                   float* C, int64_t ldc, int64_t strideC, int64_t batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  // alpha == 0 or K == 0: C = beta * C without touching A or B (the k loop runs zero times).
  const int64_t k_eff = (alpha == 0.0f || K < 0) ? 0 : K;
  if (strideC == 0 && batch > 1) {
    // Every product updates the same C: one launch per item, in order on the stream.
    for (int64_t i = 0; i < batch; ++i)
      launch(transA, transB,
             Args{M, N, k_eff, alpha, A + i * strideA, lda, 0, B + i * strideB, ldb, 0, beta, C, ldc, 0, 1});
    return;
  }
  launch(transA, transB, Args{M, N, k_eff, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, batch});
}

}  // namespace wsr::cuda
