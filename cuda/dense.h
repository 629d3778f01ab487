// Fully connected layer on a CUDA device: launchers take device pointers, run asynchronously on
// the default stream and throw (check_launch) when a launch fails. Layouts: see common/dense_shapes.h.
#pragma once
#include "common/dense_shapes.h"

namespace wsr::cuda {

// y = x·wᵀ + b (b may be null). y is overwritten.
void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y);

// dx = dy·w, dw = dyᵀ·x, db = column sums of dy; dx and db may be null. Outputs are overwritten.
void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db);

}  // namespace wsr::cuda
