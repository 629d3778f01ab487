// Elementwise helpers on a CUDA device (asynchronous launchers on the default stream; device
// pointers). Same contracts as cpu/elementwise.h, except that sum and sum_squares reduce each
// block as a tree (in double) and combine the blocks' totals with float atomics into *out, so the
// last bits of the result may vary from run to run when more than one block runs.
#pragma once
#include <cstdint>

namespace wsr::cuda {

void fill(int64_t n, float value, float* t);
void scale(int64_t n, float alpha, float* t);
void axpy(int64_t n, float alpha, const float* x, float* y);
void sum(int64_t n, const float* x, float* out);
void sum_squares(int64_t n, const float* x, float* out);

}  // namespace wsr::cuda
