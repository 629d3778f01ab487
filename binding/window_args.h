// The one argument parser of the windowed exports (the conv2d and local2d families). Each pass takes
// its tensors, then the trailing strideH, strideW, padTop, padBottom, padLeft, padRight:
//   forward          (x, w, b | null, y, ...)    y [N,K,OH,OW] = layer(x [N,C,H,W]) + b
//   backward input   (dy, w, dx, ...)            dx's shape gives H and W
//   backward weight  (x, dy, dw, db | null, ...) dw's shape gives the kernel
// The geometry comes from the input-shaped tensor, the weight-shaped one and the six integers, and
// every tensor is checked against it (and against every other) before any memory is touched: the
// binding is the single authority on what reaches a kernel.
#pragma once
#include <napi.h>

#include "common/window_geometry.h"
#include "operands.h"

namespace wsr::binding {

struct WindowHyper {
  int64_t stride_h, stride_w, pad_top, pad_bottom, pad_left, pad_right;
};

// What tells one windowed family from the other: the weight and bias layouts.
struct WindowFamily {
  int weight_rank;
  const char* weight_dims;  // "K,C,KH,KW"
  int bias_rank;
  const char* bias_dims;    // "K"
  // The geometry of `input` [N,C,H,W] with `weight`; throws when they do not fit each other or `hp`.
  WindowGeometry (*geometry)(const Tensor& input, const char* input_name, const Tensor& weight,
                             const char* weight_name, const WindowHyper& hp);
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
