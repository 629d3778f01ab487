// Exports of the locally connected (untied convolution) family and the conv <-> LC conversions.
// Layouts: x [N,C,H,W], w [OH,OW,K,C,KH,KW], b [OH,OW,K], y [N,K,OH,OW]; conv weight [K,C,KH,KW],
// conv bias [K]. The window exports' arguments are as binding/window_args.h describes.
#include "args.h"
#include "cpu/local.h"
#include "cuda/local.h"
#include "dispatch.h"
#include "registry.h"
#include "window_args.h"

namespace wsr::binding {

// local2dForward(x, w, b | null, y, strideH, strideW, padTop, padBottom, padLeft, padRight):
// y[n,k,i,j] = b[i,j,k] + Σ_{c,ki,kj} w[i,j,k,c,ki,kj] · x[n,c,i·strideH-padTop+ki, j·strideW-padLeft+kj].
WSR_EXPORT(local2dForward) {
  const WindowArgs a = window_args(info, kLocalFamily, WindowPass::Forward);
  const Operands& t = a.tensors;
  WSR_DISPATCH_WITH_WORKSPACE(a.device(), local2d_forward, a.geometry, t.f32("x"), t.f32("w"), t.f32("b"),
                              t.f32("y"));
  return info.Env().Undefined();
}

// local2dBackwardInput(dy, w, dx, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dx = gradient of Σ dy·y with respect to x (the input size is dx's shape). On CUDA the patch
// gradients of every position live in the device's workspace, gathered into dx by a second kernel.
WSR_EXPORT(local2dBackwardInput) {
  const WindowArgs a = window_args(info, kLocalFamily, WindowPass::BackwardInput);
  const Operands& t = a.tensors;
  WSR_DISPATCH_WITH_WORKSPACE(a.device(), local2d_backward_input, a.geometry, t.f32("dy"), t.f32("w"), t.f32("dx"));
  return info.Env().Undefined();
}

// local2dBackwardWeight(x, dy, dw, db | null, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dw (and db) = gradients of Σ dy·y with respect to w (and b); overwritten, not accumulated.
WSR_EXPORT(local2dBackwardWeight) {
  const WindowArgs a = window_args(info, kLocalFamily, WindowPass::BackwardWeight);
  const Operands& t = a.tensors;
  WSR_DISPATCH_WITH_WORKSPACE(a.device(), local2d_backward_weight, a.geometry, t.f32("x"), t.f32("dy"), t.f32("dw"),
                              t.f32("db"));
  return info.Env().Undefined();
}

namespace {

// The arguments of convToLocal and localToConv: a conv weight [K,C,KH,KW] and a local weight
// [OH,OW,K,C,KH,KW] with one bank per position, and biases that are both given or both null. The
// side that is read comes first in the argument list, the side that is written after it.
struct Conversion {
  Operands t;
  int64_t positions, bank_size, k;
};

Operands conversion_tensors(const Napi::CallbackInfo& info, bool from_conv) {
  constexpr const char* kConvDims = "K,C,KH,KW";
  constexpr const char* kLocalDims = "OH,OW,K,C,KH,KW";
  if (from_conv)
    return Operands(info, {input(0, "convW", 4, kConvDims), input(1, "convB", 1, "K").optional(),
                           output(2, "localW", 6, kLocalDims), output(3, "localB", 3, "OH,OW,K").optional()});
  return Operands(info, {input(0, "localW", 6, kLocalDims), input(1, "localB", 3, "OH,OW,K").optional(),
                         output(2, "convW", 4, kConvDims), output(3, "convB", 1, "K").optional()});
}

Conversion conversion_args(const Napi::CallbackInfo& info, bool from_conv) {
  expect_arg_count(info, 4);
  Operands t = conversion_tensors(info, from_conv);
  const Tensor &conv_w = t["convW"], &local_w = t["localW"];
  if (conv_w.size() == 0) throw ArgumentRangeError("convW must not be empty, got shape " + shape_str(conv_w.shape()));
  if (local_w.dim(0) == 0 || local_w.dim(1) == 0)
    throw ArgumentRangeError("localW must have at least one output position, got shape " + shape_str(local_w.shape()));
  const Shape& cs = conv_w.shape();
  expect_shape(local_w, {local_w.dim(0), local_w.dim(1), cs[0], cs[1], cs[2], cs[3]}, "localW");
  if ((t.get("convB") == nullptr) != (t.get("localB") == nullptr))
    throw ArgumentTypeError("convB and localB must both be tensors or both be null");
  if (t.get("convB")) {
    expect_shape(t["convB"], {cs[0]}, "convB");
    expect_shape(t["localB"], {local_w.dim(0), local_w.dim(1), cs[0]}, "localB");
  }
  t.check_placement();
  const int64_t positions = local_w.dim(0) * local_w.dim(1), bank_size = conv_w.size(), k = cs[0];
  return Conversion{std::move(t), positions, bank_size, k};
}

}  // namespace

// convToLocal(convW, convB | null, localW, localB | null): every position of localW [OH,OW,K,C,KH,KW]
// (and localB [OH,OW,K]) gets a copy of the shared kernel convW [K,C,KH,KW] (and bias convB [K]).
WSR_EXPORT(convToLocal) {
  const Conversion c = conversion_args(info, true);
  WSR_DISPATCH(c.t.device(), conv_to_local, c.positions, c.bank_size, c.k, c.t.f32("convW"), c.t.f32("convB"),
               c.t.f32("localW"), c.t.f32("localB"));
  return info.Env().Undefined();
}

// localToConv(localW, localB | null, convW, convB | null): convW (and convB) = the mean over output
// positions of localW (and localB), for analysing how far the positions have drifted apart.
WSR_EXPORT(localToConv) {
  const Conversion c = conversion_args(info, false);
  WSR_DISPATCH(c.t.device(), local_to_conv, c.positions, c.bank_size, c.k, c.t.f32("localW"), c.t.f32("localB"),
               c.t.f32("convW"), c.t.f32("convB"));
  return info.Env().Undefined();
}

}  // namespace wsr::binding
