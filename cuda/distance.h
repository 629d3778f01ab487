// CUDA filter divergence metrics (launchers; plain C++ header). Same definitions, layouts and
// NaN conventions as common/distance_math.h, whose shared structs and formulas these use. Pointers are
// device pointers; launched asynchronously on the default stream.
#pragma once
#include <cstdint>

#include "common/distance_math.h"

namespace wsr::cuda {

// out: [layout.count, 2] floats on the device. workspace: local_distances_workspace_doubles()
// doubles on the device (bank norms, then two values per slot), overwritten.
void local_distances(const float* w, const FilterGrid& grid, const RingLayout& layout, double* workspace,
                     float* out);
// ref: `bank` floats; out: [2, oh, ow].
void reference_distances(const float* w, const float* ref, const FilterGrid& grid, float* out);

}  // namespace wsr::cuda
