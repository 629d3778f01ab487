// Exports of the conv2d family: forward, input gradient, weight and bias gradient (NCHW); arguments
// as binding/window_args.h describes, outputs caller-allocated and overwritten.
#include "cpu/conv.h"
#include "cuda/conv.h"
#include "dispatch.h"
#include "registry.h"
#include "window_args.h"

namespace wsr::binding {

// conv2dForward(x, w, b | null, y, strideH, strideW, padTop, padBottom, padLeft, padRight):
// y [N,K,OH,OW] = conv(x [N,C,H,W], w [K,C,KH,KW]) + b [K].
WSR_EXPORT(conv2dForward) {
  const WindowArgs a = window_args(info, kConvFamily, WindowPass::Forward);
  const Operands& t = a.tensors;
  WSR_DISPATCH_WITH_WORKSPACE(a.device(), conv2d_forward, a.geometry, t.f32("x"), t.f32("w"), t.f32("b"),
                              t.f32("y"));
  return info.Env().Undefined();
}

// conv2dBackwardInput(dy, w, dx, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dx [N,C,H,W] = dL/dx given dy [N,K,OH,OW]; dx's shape gives H and W. On CUDA the patch gradients (or a
// split reduction's partial sums) live in the device's workspace.
WSR_EXPORT(conv2dBackwardInput) {
  const WindowArgs a = window_args(info, kConvFamily, WindowPass::BackwardInput);
  const Operands& t = a.tensors;
  WSR_DISPATCH_WITH_WORKSPACE(a.device(), conv2d_backward_input, a.geometry, t.f32("dy"), t.f32("w"), t.f32("dx"));
  return info.Env().Undefined();
}

// conv2dBackwardWeight(x, dy, dw, db | null, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dw [K,C,KH,KW] = dL/dw and db [K] = dL/db given x [N,C,H,W] and dy [N,K,OH,OW]; dw's shape gives
// the kernel size. On CUDA the split reduction's partial sums live in the device's workspace.
WSR_EXPORT(conv2dBackwardWeight) {
  const WindowArgs a = window_args(info, kConvFamily, WindowPass::BackwardWeight);
  const Operands& t = a.tensors;
  WSR_DISPATCH_WITH_WORKSPACE(a.device(), conv2d_backward_weight, a.geometry, t.f32("x"), t.f32("dy"), t.f32("dw"),
                              t.f32("db"));
  return info.Env().Undefined();
}

}  // namespace wsr::binding
