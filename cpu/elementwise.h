// Elementwise helpers over float32 buffers of n values on the CPU (training-loop plumbing:
// zeroing gradients, scaling, y += a·x, totals and squared norms).
#pragma once
#include <cstdint>

namespace wsr::cpu {

void fill(int64_t n, float value, float* t);
void scale(int64_t n, float alpha, float* t);                  // t *= alpha
void axpy(int64_t n, float alpha, const float* x, float* y);   // y += alpha·x

// *out = Σ x (or Σ x²), accumulated in double over fixed blocks summed in order, so the result
// does not depend on the thread count.
void sum(int64_t n, const float* x, float* out);
void sum_squares(int64_t n, const float* x, float* out);

}  // namespace wsr::cpu
