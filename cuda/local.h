// Locally connected 2-D layer on a CUDA GPU; the same operations and layouts as cpu/local.h.
// Plain C++ header (no CUDA types). Pointers are device pointers; launches go on the default
// stream and return before the kernels finish; launch failures throw std::runtime_error.
// Each layer launcher takes a `workspace` of at least its ..._workspace(s) floats, which nothing else may
// use until its kernels have run: the transposed activations or gradients ([oh·ow, n, k]), dgrad's patch
// gradients ([oh·ow, n, c·kh·kw], summed into dx by a gather: deterministic, no atomics) and split partial
// sums. Results are deterministic (for a given GPU model: how a reduction is split depends on its SM count).
#pragma once
#include <cstddef>
#include <cstdint>

#include "common/window_geometry.h"

namespace wsr::cuda {

size_t local2d_forward_workspace(const WindowGeometry& s);
void local2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y,
                     float* workspace);

size_t local2d_backward_input_workspace(const WindowGeometry& s);
void local2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx, float* workspace);

size_t local2d_backward_weight_workspace(const WindowGeometry& s);
void local2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db,
                             float* workspace);

void conv_to_local(int64_t positions, int64_t bank_size, int64_t k, const float* conv_w, const float* conv_b,
                   float* local_w, float* local_b);
void local_to_conv(int64_t positions, int64_t bank_size, int64_t k, const float* local_w, const float* local_b,
                   float* conv_w, float* conv_b);

}  // namespace wsr::cuda
