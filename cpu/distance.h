// CPU filter divergence metrics (PROTOCOL.md, "Divergence metric"); the definitions, layouts, NaN
// conventions and shared formulas are in common/distance_math.h.
#pragma once
#include <cstdint>

#include "common/distance_math.h"

namespace wsr {
namespace cpu {

// out[2k], out[2k+1] = dist_r, cos_r of radius layout.radius[k].
void local_distances(const float* w, const FilterGrid& grid, const RingLayout& layout, float* out);
// ref: `bank` floats; out: [2, oh, ow] (relative Euclidean distances, then cosine distances).
void reference_distances(const float* w, const float* ref, const FilterGrid& grid, float* out);

}  // namespace cpu
}  // namespace wsr
