// 2-D convolution over NCHW input on a CUDA GPU: launchers for forward, input gradient and weight/bias
// gradient (same layouts and semantics as cpu/conv.h). Plain C++ header: pointers are device pointers,
// kernels run asynchronously on the default stream, outputs are overwritten.
// Every tensor involved must have fewer than 2^31 elements (the kernels index with 32-bit integers);
// the binding checks this.
// Each launcher takes a `workspace` of at least its ..._workspace(s) floats (may be null when that is 0),
// which nothing else may use until the launcher's kernels have run. Results are deterministic: partial sums
// are added in a fixed order (for a given GPU model: how a reduction is split depends on its SM count).
#pragma once
#include <cstddef>

#include "common/window_geometry.h"

namespace wsr::cuda {

// y = conv(x, w) + b; b may be null.
size_t conv2d_forward_workspace(const WindowGeometry& s);
void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y,
                    float* workspace);

// dx = ∂L/∂x given dy.
size_t conv2d_backward_input_workspace(const WindowGeometry& s);
void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx, float* workspace);

// dw = ∂L/∂w and, when db is not null, db = ∂L/∂b.
size_t conv2d_backward_weight_workspace(const WindowGeometry& s);
void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db,
                            float* workspace);

}  // namespace wsr::cuda
