// Fully connected layer on the CPU: forward and backward through sgemm (see dense_shapes.h).
#pragma once
#include "common/dense_shapes.h"

namespace wsr::cpu {

// y = x·wᵀ + b (b may be null: no bias). y is overwritten.
void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y);

// Gradients from dy [n, out]: dx = dy·w [n, in], dw = dyᵀ·x [out, in], db = column sums of dy [out].
// dx and db may be null (not computed). Every output is overwritten, not accumulated.
void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db);

}  // namespace wsr::cpu
