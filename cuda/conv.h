// 2-D convolution over NCHW input on a CUDA GPU: launchers for forward, input gradient and weight/bias
// gradient (same layouts and semantics as cpu/conv.h). Plain C++ header: pointers are device pointers,
// kernels run asynchronously on the default stream, outputs are overwritten.
// Every tensor involved must have fewer than 2^31 elements (the kernels index with 32-bit integers);
// the binding checks this.
#pragma once
#include <cstddef>

#include "common/window_geometry.h"

namespace wsr::cuda {

// y = conv(x, w) + b; b may be null.
void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y);

// dx = ∂L/∂x given dy.
void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx);

// Floats of scratch conv2d_backward_weight needs for shape s (0 when it needs none).
size_t conv2d_backward_weight_workspace(const WindowGeometry& s);

// dw = ∂L/∂w and, when db is not null, db = ∂L/∂b. `workspace` holds at least
// conv2d_backward_weight_workspace(s) floats (may be null when that is 0) and must not be used by
// anything else until this call's kernels have run. Deterministic: partial sums are added in a fixed order.
void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db,
                            float* workspace);

}  // namespace wsr::cuda
