// Degrees of weight sharing on a CUDA GPU (launchers; plain C++ header). The same operations,
// arguments and results as cpu/sharing.h, bit for bit (common/sharing_math.h fixes every sum's order).
// Pointers are device pointers; launches go on the default stream and return before the kernels finish;
// launch failures throw std::runtime_error.
#pragma once
#include <cstdint>

#include "common/sharing_math.h"

namespace wsr::cuda {

void tie_local(int64_t positions, int64_t bank, int64_t k, float* w, float* b, double strength);

// workspace: penalty_workspace_doubles(bank, k, b != null && db != null) doubles on the device
// (common/sharing_math.h), overwritten: the tiles' partial sums.
void tie_penalty_backward(int64_t positions, int64_t bank, int64_t k, const float* w, const float* b, float* dw,
                          float* db, double lambda, float* stats, double* workspace);

void mask_inputs(int64_t count, int64_t sample, const float* x, const float* mask, float* out);

}  // namespace wsr::cuda
