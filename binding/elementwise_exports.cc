// Exports of the elementwise helpers over float32 tensors of any shape: fill, scale, axpy and
// the reductions sum and sumSquares into a one-element tensor (which stays on the device).
#include "args.h"
#include "cpu/elementwise.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/elementwise.h"
#endif

namespace wsr::binding {
namespace {

// The reductions' output: float32 [1], on x's device, apart from x.
void expect_scalar_out(const Tensor& out, const Tensor& x) {
  expect_f32(out, 1, "out", "1");
  expect_shape(out, {1}, "out");
  expect_same_device({{"x", &x}, {"out", &out}});
  expect_distinct(out, "out", x, "x");
}

}  // namespace

// fill(t, value): every element of t = value (finite).
WSR_EXPORT(fill) {
  expect_arg_count(info, 2);
  const Tensor& t = tensor_arg(info, 0, "t");
  const float value = static_cast<float>(number_arg(info, 1, "value"));
  expect_dtype(t, DType::Float32, "t");
  const Device d = t.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::fill(t.size(), value, t.f32()));
  else
    cpu::fill(t.size(), value, t.f32());
  return info.Env().Undefined();
}

// scale(t, alpha): t *= alpha, in place.
WSR_EXPORT(scale) {
  expect_arg_count(info, 2);
  const Tensor& t = tensor_arg(info, 0, "t");
  const float alpha = static_cast<float>(number_arg(info, 1, "alpha"));
  expect_dtype(t, DType::Float32, "t");
  const Device d = t.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::scale(t.size(), alpha, t.f32()));
  else
    cpu::scale(t.size(), alpha, t.f32());
  return info.Env().Undefined();
}

// axpy(y, alpha, x): y += alpha·x; x has y's shape and does not share its memory.
WSR_EXPORT(axpy) {
  expect_arg_count(info, 3);
  const Tensor& y = tensor_arg(info, 0, "y");
  const float alpha = static_cast<float>(number_arg(info, 1, "alpha"));
  const Tensor& x = tensor_arg(info, 2, "x");
  expect_dtype(y, DType::Float32, "y");
  expect_dtype(x, DType::Float32, "x");
  expect_shape(x, y.shape(), "x");
  expect_same_device({{"y", &y}, {"x", &x}});
  expect_distinct(y, "y", x, "x");
  const Device d = y.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::axpy(y.size(), alpha, x.f32(), y.f32()));
  else
    cpu::axpy(y.size(), alpha, x.f32(), y.f32());
  return info.Env().Undefined();
}

// sum(x, out [1]): out[0] = Σ x (overwritten).
WSR_EXPORT(sum) {
  expect_arg_count(info, 2);
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& out = tensor_arg(info, 1, "out");
  expect_dtype(x, DType::Float32, "x");
  expect_scalar_out(out, x);
  const Device d = x.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::sum(x.size(), x.f32(), out.f32()));
  else
    cpu::sum(x.size(), x.f32(), out.f32());
  return info.Env().Undefined();
}

// sumSquares(x, out [1]): out[0] = Σ x² (overwritten); for norms.
WSR_EXPORT(sumSquares) {
  expect_arg_count(info, 2);
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& out = tensor_arg(info, 1, "out");
  expect_dtype(x, DType::Float32, "x");
  expect_scalar_out(out, x);
  const Device d = x.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::sum_squares(x.size(), x.f32(), out.f32()));
  else
    cpu::sum_squares(x.size(), x.f32(), out.f32());
  return info.Env().Undefined();
}

}  // namespace wsr::binding
