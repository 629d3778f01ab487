// Shape parameters of the dense, activation/loss and data kernels, shared by the CPU and CUDA
// launchers (plain structs, no dependencies; kept beside window_geometry.h).
#pragma once
#include <cstdint>

namespace wsr {

// A fully connected layer, row-major:
//   x [n, in], weight w [out, in] (one row per output unit), bias b [out], y [n, out] = x·wᵀ + b.
struct DenseShape {
  int64_t n, in, out;
};

// Softmax cross-entropy over logits [n, classes] with one uint8 class index per row.
struct ClassifierShape {
  int64_t n, classes;
};

// Gathering a batch of samples from a uint8 dataset by an index list:
//   images [samples, sample_size], labels [samples], order [order_length] (int32);
//   batch row i is dataset row order[offset + i], for i in [0, count).
struct GatherShape {
  int64_t samples;      // M: rows in the dataset
  int64_t sample_size;  // values per row (e.g. 3·32·32)
  int64_t order_length; // P: entries in the index list
  int64_t offset;       // first index-list entry used
  int64_t count;        // batch rows gathered
};

}  // namespace wsr
