// The one argument parser of the windowed exports (the conv2d and local2d families). Each pass takes
// its tensors, then the window geometry as six integers strideH, strideW, padTop, padBottom, padLeft,
// padRight:
//   forward          (x, w, b | null, y, ...)    y [N,K,OH,OW] = layer(x [N,C,H,W]) + b
//   backward input   (dy, w, dx, ...)            dx's shape gives H and W
//   backward weight  (x, dy, dw, db | null, ...) dw's shape gives the kernel
// TypeScript owns the geometry (src/ops/geometry.ts): it resolves 'same' and 'valid', sizes the
// outputs and explains what does not fit. Nothing is resolved here. The binding takes the geometry as
// given and checks, before any memory is touched, what keeps every kernel inside its tensors, for any
// caller (the ops, or JavaScript calling an export directly), each with an error naming the argument:
//   - integer strides >= 1 and padding >= 0 that fit in 32 bits;
//   - every padding side smaller than the kernel (cpu/local.cc zero-fills a window's leading
//     padding inside one kernel row), and a padded input at least as large as the kernel;
//   - the weight, bias and output shapes the tensors and the geometry give (OH and OW are the
//     windows that fit: the kernels index y, dy and a locally connected weight with them);
//   - sizes the kernels index with 32-bit integers;
//   - every tensor on one device, and no output sharing memory with another operand.
#pragma once
#include <napi.h>

#include "common/window_geometry.h"
#include "operands.h"

namespace wsr::binding {

// The six trailing integers: the geometry TypeScript resolved.
struct StridePadding {
  int64_t stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right;
};

// What tells one windowed family from the other: the weight and bias layouts.
struct WindowFamily {
  int weight_rank;
  const char* weight_dims;  // "K,C,KH,KW"
  int bias_rank;
  const char* bias_dims;    // "K"
  // The geometry of `input` [N,C,H,W] with `weight` and `sp`; throws when they do not fit together.
  WindowGeometry (*geometry)(const Tensor& input, const char* input_name, const Tensor& weight,
                             const char* weight_name, const StridePadding& sp);
  Shape (*weight_shape)(const WindowGeometry& g);
  Shape (*bias_shape)(const WindowGeometry& g);
  // The CUDA kernels index every tensor with 32-bit integers.
  bool cuda_int32_indices;
};

extern const WindowFamily kConvFamily;   // weight [K,C,KH,KW], bias [K]
extern const WindowFamily kLocalFamily;  // weight [OH,OW,K,C,KH,KW], bias [OH,OW,K]

enum class WindowPass { Forward, BackwardInput, BackwardWeight };

// A windowed export's checked tensors (by their argument names: x, w, b, y / dy, w, dx / x, dy,
// dw, db) and the geometry they share.
struct WindowArgs {
  Operands tensors;
  WindowGeometry geometry;
  Device device() const { return tensors.device(); }
};

WindowArgs window_args(const Napi::CallbackInfo& info, const WindowFamily& family, WindowPass pass);

}  // namespace wsr::binding
