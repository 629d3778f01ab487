// Layout kernels around the implicit-GEMM products of the conv and locally connected layers. Plain C++
// header: device pointers, launches on the default stream, `what` names the calling launcher in errors.
#pragma once
#include <cstdint>

#include "common/window_geometry.h"

namespace wsr::cuda {

// dx[img, c, iy, ix] = Σ over the output positions p = (oy, ox) whose window covers (iy, ix) of the patch
// gradient patches[img·image_stride + p·position_stride + (c·kh + ki)·kw + kj], ki = iy + pad_top − oy·stride_h
// (likewise kj): a gather in position order, so deterministic and free of atomics.
void sum_patch_gradients(const WindowGeometry& s, const float* patches, int64_t image_stride, int64_t position_stride,
                         float* dx, const char* what);

// dst[c, r] = src[r, c] for a rows × cols matrix (both sides coalesced, through shared memory).
void transpose(int64_t rows, int64_t cols, const float* src, float* dst, const char* what);

}  // namespace wsr::cuda
