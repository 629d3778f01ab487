// Gathering a training batch from a uint8 dataset by an index list on a CUDA device (asynchronous
// launcher on the default stream; device pointers), so a whole epoch's shuffled order can live on
// the GPU and no batch crosses from the host. Same contract as cpu/data.h, except that an index
// outside [0, samples) cannot throw (the order lives on the device): that batch row reads nothing
// out of bounds, its x row is all NaN and its label is 255 (which softmax_cross_entropy turns into
// a NaN loss), so the mistake shows up in the epoch's loss.
#pragma once
#include <cstdint>

#include "common/dense_shapes.h"

namespace wsr::cuda {

void gather_batch(const GatherShape& s, const uint8_t* images, const uint8_t* labels, const int32_t* order,
                  float scale, float* x, uint8_t* y);

}  // namespace wsr::cuda
