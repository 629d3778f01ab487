// Locally connected 2-D layer on a CUDA GPU; the same operations and layouts as cpu/local.h.
// Plain C++ header (no CUDA types). Pointers are device pointers; launches go on the default
// stream and return before the kernels finish; launch failures throw std::runtime_error.
#pragma once
#include <cstdint>

#include "common/window_geometry.h"

namespace wsr::cuda {

void local2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y);

// Floats of device workspace local2d_backward_input needs: every position's patch gradients
// [oh·ow, n, c·kh·kw], summed into dx afterwards by a gather (deterministic, no atomics).
inline int64_t local2d_backward_input_workspace(const WindowGeometry& s) { return s.positions() * s.n * s.patch_size(); }
void local2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx, float* workspace);

void local2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db);

void conv_to_local(int64_t positions, int64_t bank_size, int64_t k, const float* conv_w, const float* conv_b,
                   float* local_w, float* local_b);
void local_to_conv(int64_t positions, int64_t bank_size, int64_t k, const float* local_w, const float* local_b,
                   float* conv_w, float* conv_b);

}  // namespace wsr::cuda
