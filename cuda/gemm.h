// Single-precision batched GEMM on the GPU (hand-written, no cuBLAS). Plain C++ header: no CUDA types,
// so the binding and the check program include it with g++.
#pragma once
#include <cstdint>

namespace wsr::cuda {

// C_i = alpha * op(A_i)[M,K] · op(B_i)[K,N] + beta * C_i for i in [0, batch), X_i = X + i*strideX, all
// row-major with row strides lda/ldb/ldc as stored; same semantics as wsr::cpu::sgemm_batched:
//   op(X) is X or X^T as flagged; beta == 0 means C is write-only (never read, NaN garbage ignored);
//   K == 0 or alpha == 0 means C = beta * C (A and B not read); M, N or batch <= 0 does nothing;
//   strideA / strideB == 0 share one operand; strideC == 0 with batch > 1 applies the products in order.
// Pointers are device pointers on the current device; no alignment is required; C must not overlap A or B
// (and the C_i must not overlap each other unless strideC == 0). Launched on the default
// stream (stream 0), asynchronous. Throws std::runtime_error("sgemm_batched: CUDA error: <string>") if the
// launch fails.
void sgemm_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                   float* C, int64_t ldc, int64_t strideC, int64_t batch);

}  // namespace wsr::cuda
