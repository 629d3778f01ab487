// Gathering a training batch from a uint8 dataset by an index list, on the CPU.
#pragma once
#include <cstdint>

#include "common/dense_shapes.h"

namespace wsr::cpu {

// For i in [0, count): j = order[offset + i]; x[i, :] = images[j, :] · scale, y[i] = labels[j].
// Every index is checked first: one outside [0, samples) throws std::out_of_range naming its
// position and value, before anything is written. The caller guarantees offset + count <= order_length.
void gather_batch(const GatherShape& s, const uint8_t* images, const uint8_t* labels, const int32_t* order,
                  float scale, float* x, uint8_t* y);

}  // namespace wsr::cpu
