// Exports of the elementwise helpers over float32 tensors of any shape: fill, scale, axpy and
// the reductions sum and sumSquares into a one-element tensor (which stays on the device).
#include "args.h"
#include "cpu/elementwise.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/elementwise.h"
#endif

namespace wsr::binding {
namespace {

// x (argument 0) and the reductions' output out (argument 1): float32 [1], on x's device, apart from x.
Operands reduction_args(const Napi::CallbackInfo& info) {
  expect_arg_count(info, 2);
  Operands t(info, {input(0, "x"), output(1, "out", 1, "1")});
  expect_shape(t["out"], {1}, "out");
  t.check_placement();
  return t;
}

}  // namespace

// fill(t, value): every element of t = value (finite).
WSR_EXPORT(fill) {
  expect_arg_count(info, 2);
  const Operands t(info, {output(0, "t")});
  const float value = static_cast<float>(number_arg(info, 1, "value"));
  WSR_DISPATCH(t.device(), fill, t["t"].size(), value, t.f32("t"));
  return info.Env().Undefined();
}

// scale(t, alpha): t *= alpha, in place.
WSR_EXPORT(scale) {
  expect_arg_count(info, 2);
  const Operands t(info, {output(0, "t")});
  const float alpha = static_cast<float>(number_arg(info, 1, "alpha"));
  WSR_DISPATCH(t.device(), scale, t["t"].size(), alpha, t.f32("t"));
  return info.Env().Undefined();
}

// axpy(y, alpha, x): y += alpha·x; x has y's shape and does not share its memory.
WSR_EXPORT(axpy) {
  expect_arg_count(info, 3);
  const Operands t(info, {input(2, "x"), output(0, "y")});
  const float alpha = static_cast<float>(number_arg(info, 1, "alpha"));
  expect_shape(t["x"], t["y"].shape(), "x");
  t.check_placement();
  WSR_DISPATCH(t.device(), axpy, t["y"].size(), alpha, t.f32("x"), t.f32("y"));
  return info.Env().Undefined();
}

// sum(x, out [1]): out[0] = Σ x (overwritten).
WSR_EXPORT(sum) {
  const Operands t = reduction_args(info);
  WSR_DISPATCH(t.device(), sum, t["x"].size(), t.f32("x"), t.f32("out"));
  return info.Env().Undefined();
}

// sumSquares(x, out [1]): out[0] = Σ x² (overwritten); for norms.
WSR_EXPORT(sumSquares) {
  const Operands t = reduction_args(info);
  WSR_DISPATCH(t.device(), sum_squares, t["x"].size(), t.f32("x"), t.f32("out"));
  return info.Env().Undefined();
}

}  // namespace wsr::binding
