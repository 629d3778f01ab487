// 2-D convolution on the CPU: forward, input gradient and weight/bias gradient (NCHW, zero padding).
// Shapes follow wsr::WindowGeometry (common/window_geometry.h):
//   x [n, c, h, w], w [k, c, kh, kw], b [k], y [n, k, oh, ow].
// The caller guarantees a consistent shape: c, h, w, k, kh, kw, strides >= 1, n >= 0,
// 0 <= pad_top < kh, 0 <= pad_left < kw, oh, ow >= 1. Outputs are overwritten (never read) and must
// not overlap inputs. Implicit GEMMs over a channels-last copy of the input (cpu/conv.cc; one-channel
// inputs on AVX-512 machines: direct kernels, cpu/conv_one_channel.cc), multi-threaded
// over images (or, for the forward pass and the weight gradient of batches smaller than the thread count,
// over output positions). Results are deterministic for a fixed thread count.
#pragma once
#include "common/window_geometry.h"

namespace wsr::cpu {

// y = conv(x, w) + b; b may be null (no bias).
void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y);

// dx = dL/dx given dy = dL/dy.
void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx);

// dw = dL/dw and db = dL/db (db may be null) given the forward input x and dy. Per-thread partial
// sums are added in a fixed order, so the result is reproducible for a fixed thread count.
void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db);

}  // namespace wsr::cpu
