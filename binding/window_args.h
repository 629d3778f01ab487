// The geometry arguments shared by the windowed exports (conv2d and local2d families): the trailing
// strideH, strideW, padTop, padBottom, padLeft, padRight, and the layer shape they give.
#pragma once
#include <napi.h>

#include <cstdint>
#include <string>

#include "common/window_geometry.h"

namespace wsr::binding {

struct WindowHyper {
  int64_t stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right;
};

// Reads the six integers from info[first..first+5]: strides >= 1, padding >= 0.
WindowHyper window_hyper_args(const Napi::CallbackInfo& info, size_t first);

// The shape of a layer over an input [n, c, h, w] (named `input_name` in messages) with kernels of
// k filters of kh x kw. Throws when a padding side is not smaller than the kernel, when the padded
// input is smaller than the kernel, or when a size the kernels index with 32-bit ints overflows.
WindowGeometry window_shape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t kh, int64_t kw,
                         const WindowHyper& hp, const std::string& input_name);

}  // namespace wsr::binding
