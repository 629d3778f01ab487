// Direct convolution kernels for images of one channel (MNIST's first layer), which cpu/conv.cc runs in
// place of its implicit GEMM when conv2d_one_channel_applies(). There the GEMM is a product of depth
// kh·kw (9 for 3x3) whose channels-last copies, packing and transposes cost more than its arithmetic;
// these read each output row's taps straight from a phase-split copy of the image and write NCHW output
// rows directly. Same contracts as cpu/conv.h.
#pragma once
#include "common/window_geometry.h"

namespace wsr::cpu {

// True for one input channel when the GEMM runs its AVX-512 kernel (cpu/gemm.h): the kernels here are
// AVX-512 only, so forcing the GEMM's avx2 or generic kernel also puts one-channel layers back on the GEMM.
bool conv2d_one_channel_applies(const WindowGeometry& s);

// y = conv(x, w) + b (b may be null).
void conv2d_one_channel_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y);

// dw = dL/dw and db = dL/db (db may be null). Per-thread partial sums are added in a fixed order:
// reproducible for a fixed thread count.
void conv2d_one_channel_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db);

}  // namespace wsr::cpu
