// Fully connected layer on a CUDA device: launchers take device pointers, run asynchronously on
// the default stream and throw (check_launch) when a launch fails. Layouts: see common/dense_shapes.h.
// Each launcher takes a `workspace` of at least its ..._workspace(s) floats (split partial sums; may be
// null when that is 0), which nothing else may use until its kernels have run. Deterministic: partial sums
// are added in a fixed order (for a given GPU model: how a reduction is split depends on its SM count).
// Every matrix must have fewer than 2^31 elements (32-bit indexing); a larger one is a std::length_error.
#pragma once
#include <cstddef>

#include "common/dense_shapes.h"

namespace wsr::cuda {

// y = x·wᵀ + b (b may be null). y is overwritten.
size_t dense_forward_workspace(const DenseShape& s);
void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y, float* workspace);

// dx = dy·w, dw = dyᵀ·x, db = column sums of dy; dx and db may be null. Outputs are overwritten.
size_t dense_backward_workspace(const DenseShape& s);
void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db, float* workspace);

}  // namespace wsr::cuda
