// Single-precision matrix multiply for the CPU kernels (conv/LC/dense forward and backward).
//
// Row-major C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C, where op(X) is X or X^T as flagged.
//   transA == false: A is stored [M,K] with row stride lda (lda >= K);  true: A is stored [K,M] (lda >= M).
//   transB == false: B is stored [K,N] with row stride ldb (ldb >= N);  true: B is stored [N,K] (ldb >= K).
//   C is stored [M,N] with row stride ldc (ldc >= N).
// beta == 0 means C is write-only (never read, so NaN garbage in C is ignored). K == 0 or alpha == 0 means
// C = beta * C (A and B are not read). M == 0 or N == 0 does nothing.
//
// Packed panels + register-blocked FMA microkernels; the AVX-512 / AVX2+FMA / portable kernel is chosen
// once at run time, so the file needs no -march flag. No alignment is required of any pointer or stride.
// C must not overlap A or B. All functions are thread-safe (per-thread scratch buffers); sgemm may be
// called concurrently from several threads (e.g. from inside wsr::cpu::parallel_for chunks).
#pragma once
#include <cstdint>

namespace wsr::cpu {

// Single-threaded; callers that run many independent GEMMs parallelise over them.
void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Same, splitting blocks of C over the thread pool (serial when the product is small or when called from
// inside a parallel region).
void sgemm_parallel(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// C_i = alpha op(A_i) op(B_i) + beta C_i for i in [0, batch), with X_i = X + i*strideX.
// strideA == 0 or strideB == 0 (a shared operand, e.g. conv weights) is allowed and packs that operand once.
// strideC == 0 with batch > 1 runs the products one after another in order i = 0, 1, ... (so beta == 1
// accumulates the sum of all products into C); otherwise the C_i must not overlap each other.
// Parallel over the batch and/or within each product, so both few-big and many-small products use all
// threads.
void sgemm_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                   float* C, int64_t ldc, int64_t strideC, int64_t batch);

// ---- Building blocks for products whose operands are gathered on the fly (the implicit-GEMM convolutions
// of cpu/conv.cc), so no im2col matrix is ever written. The caller runs the loop nest: it splits the depth
// into blocks of gemm_depth_block(K), packs operands into micro-panels and multiplies them here. The
// layouts are the GEMM's own: an A micro-panel holds MR rows as a[k*MR + r], a B micro-panel NR columns
// as b[k*NR + j] (columns past N zero). MR and NR are those of the selected kernel.
struct GemmPanels {
  int mr, nr;
};
GemmPanels gemm_panels();

// The depth block the kernel prefers for a product of depth K (K split into equal blocks of at most this).
int64_t gemm_depth_block(int64_t K);

// Packs B[k, j] = B[k*rs + j*cs] (k < kc, j < n) as ceil(n/NR) consecutive B micro-panels.
void gemm_pack_b(const float* B, int64_t rs, int64_t cs, int64_t kc, int64_t n, float* dst);

// A micro-panel from row pointers: dst[k*MR + r] = rows[r][offset + k] for r < count (<= MR), k < len.
// Rows count..MR-1 of dst are left as they are (the kernels never read them).
void gemm_pack_a_rows(const float* const* rows, int count, int64_t offset, int64_t len, float* dst);

// A micro-panel from column runs: dst[k*MR + r0 + r] = runs[k][offset + r] for r < count, k < len.
void gemm_pack_a_runs(const float* const* runs, int64_t offset, int64_t len, int r0, int count, float* dst);

// C[M, N] = A·B + beta·C (C row-major, row stride ldc; beta == 0: C write-only) for one depth block of kc:
// `a` holds ceil(M/MR) A micro-panels and `b` ceil(N/NR) B micro-panels, each of depth kc.
void gemm_panels_product(int64_t M, int64_t N, int64_t kc, const float* a, const float* b, float beta, float* C,
                         int64_t ldc);

// Name of the microkernel chosen for this CPU: "avx512", "avx2" or "generic" (for logs and benchmarks).
const char* sgemm_kernel_name();

// Forces a kernel ("avx512", "avx2", "generic"; nullptr or "" = automatic choice) for tests and benchmarks.
// Returns false (and changes nothing) when this CPU cannot run it. Not to be called while a GEMM runs.
bool sgemm_select_kernel(const char* name);

}  // namespace wsr::cpu
