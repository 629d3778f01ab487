// Exports of the conv2d family: forward, input gradient, weight and bias gradient (NCHW).
// Every shape is derived from the arguments and checked against every other before any memory is
// touched; outputs are caller-allocated and overwritten.
#include <climits>
#include <string>

#include "args.h"
#include "cpu/conv.h"
#include "cuda/conv.h"
#include "registry.h"
#include "window_args.h"
#include "workspace.h"

namespace wsr::binding {
namespace {

// The geometry of a convolution of an input [n, c, h, w] (tensor `input`) with weight w [k, c, kh, kw]
// (tensor `weight`), both already checked to be float32 of rank 4.
WindowGeometry conv_shape(const Tensor& input, const char* input_name, const Tensor& weight, const char* weight_name,
                       const WindowHyper& hp) {
  const int64_t n = input.dim(0), c = input.dim(1), h = input.dim(2), w = input.dim(3);
  const int64_t k = weight.dim(0), kh = weight.dim(2), kw = weight.dim(3);
  const std::string in(input_name), wt(weight_name);
  if (c < 1 || h < 1 || w < 1)
    throw ArgumentRangeError(in + " must have at least one channel, row and column (N,C,H,W), got " +
                             shape_str(input.shape()));
  if (k < 1 || kh < 1 || kw < 1)
    throw ArgumentRangeError(wt + " must have at least one filter, row and column (K,C,KH,KW), got " +
                             shape_str(weight.shape()));
  if (weight.dim(1) != c)
    throw ArgumentRangeError(wt + " has " + std::to_string(weight.dim(1)) + " input channels but " + in + " has " +
                             std::to_string(c) + ": " + wt + " must have shape " + shape_str({k, c, kh, kw}) +
                             ", got " + shape_str(weight.shape()));
  return window_shape(n, c, h, w, k, kh, kw, hp, in);
}

// The CUDA kernels index with 32-bit integers.
void expect_cuda_indexable(const WindowGeometry& s, std::initializer_list<std::pair<const char*, const Tensor*>> tensors) {
  for (const auto& [name, t] : tensors)
    if (t && t->size() > INT_MAX)
      throw ArgumentRangeError(std::string(name) + " has " + std::to_string(t->size()) +
                               " elements; the CUDA kernels take at most 2^31-1 per tensor");
  if (int64_t{s.h} + s.kh > INT_MAX || int64_t{s.w} + s.kw > INT_MAX)
    throw ArgumentRangeError("the input is too large for the CUDA kernels (height or width plus kernel size >= 2^31)");
}

Shape output_shape(const WindowGeometry& s) { return {s.n, s.k, s.oh, s.ow}; }

#ifdef WSR_WITH_CUDA
// The CUDA weight gradient adds split-reduction partial sums held in the device's workspace.
void cuda_backward_weight(Device d, const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db) {
  const WorkspaceLease workspace(d, cuda::conv2d_backward_weight_workspace(s) * sizeof(float));
  cuda::conv2d_backward_weight(s, x, dy, dw, db, workspace.as<float>());
}
#endif

}  // namespace

// conv2dForward(x, w, b | null, y, strideH, strideW, padTop, padBottom, padLeft, padRight):
// y [N,K,OH,OW] = conv(x [N,C,H,W], w [K,C,KH,KW]) + b [K].
WSR_EXPORT(conv2dForward) {
  expect_arg_count(info, 10);
  Tensor& x = tensor_arg(info, 0, "x");
  Tensor& w = tensor_arg(info, 1, "w");
  Tensor* b = optional_tensor_arg(info, 2, "b");
  Tensor& y = tensor_arg(info, 3, "y");
  const WindowHyper hp = window_hyper_args(info, 4);
  expect_f32(x, 4, "x", "N,C,H,W");
  expect_f32(w, 4, "w", "K,C,KH,KW");
  if (b) expect_f32(*b, 1, "b", "K");
  expect_f32(y, 4, "y", "N,K,OH,OW");
  const WindowGeometry s = conv_shape(x, "x", w, "w", hp);
  if (b) expect_shape(*b, {s.k}, "b");
  expect_shape(y, output_shape(s), "y");
  expect_same_device({{"x", &x}, {"w", &w}, {"b", b}, {"y", &y}});
  expect_distinct(y, "y", x, "x");
  expect_distinct(y, "y", w, "w");
  if (b) expect_distinct(y, "y", *b, "b");

  const Device d = x.device();
  const float* bias = b ? b->f32() : nullptr;
  if (d.is_cuda()) {
    expect_cuda_indexable(s, {{"x", &x}, {"w", &w}, {"y", &y}});
    WSR_ON_CUDA(d, with_workspace(d, cuda::conv2d_forward_workspace(s), [&](float* ws) {
                  cuda::conv2d_forward(s, x.f32(), w.f32(), bias, y.f32(), ws);
                }));
  } else {
    cpu::conv2d_forward(s, x.f32(), w.f32(), bias, y.f32());
  }
  return info.Env().Undefined();
}

// conv2dBackwardInput(dy, w, dx, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dx [N,C,H,W] = dL/dx given dy [N,K,OH,OW]; dx's shape gives H and W.
WSR_EXPORT(conv2dBackwardInput) {
  expect_arg_count(info, 9);
  Tensor& dy = tensor_arg(info, 0, "dy");
  Tensor& w = tensor_arg(info, 1, "w");
  Tensor& dx = tensor_arg(info, 2, "dx");
  const WindowHyper hp = window_hyper_args(info, 3);
  expect_f32(dy, 4, "dy", "N,K,OH,OW");
  expect_f32(w, 4, "w", "K,C,KH,KW");
  expect_f32(dx, 4, "dx", "N,C,H,W");
  const WindowGeometry s = conv_shape(dx, "dx", w, "w", hp);
  expect_shape(dy, output_shape(s), "dy");
  expect_same_device({{"dy", &dy}, {"w", &w}, {"dx", &dx}});
  expect_distinct(dx, "dx", dy, "dy");
  expect_distinct(dx, "dx", w, "w");

  const Device d = dx.device();
  if (d.is_cuda()) {
    expect_cuda_indexable(s, {{"dy", &dy}, {"w", &w}, {"dx", &dx}});
    WSR_ON_CUDA(d, with_workspace(d, cuda::conv2d_backward_input_workspace(s), [&](float* ws) {
                  cuda::conv2d_backward_input(s, dy.f32(), w.f32(), dx.f32(), ws);
                }));
  } else {
    cpu::conv2d_backward_input(s, dy.f32(), w.f32(), dx.f32());
  }
  return info.Env().Undefined();
}

// conv2dBackwardWeight(x, dy, dw, db | null, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dw [K,C,KH,KW] = dL/dw and db [K] = dL/db given x [N,C,H,W] and dy [N,K,OH,OW]; dw's shape gives
// the kernel size.
WSR_EXPORT(conv2dBackwardWeight) {
  expect_arg_count(info, 10);
  Tensor& x = tensor_arg(info, 0, "x");
  Tensor& dy = tensor_arg(info, 1, "dy");
  Tensor& dw = tensor_arg(info, 2, "dw");
  Tensor* db = optional_tensor_arg(info, 3, "db");
  const WindowHyper hp = window_hyper_args(info, 4);
  expect_f32(x, 4, "x", "N,C,H,W");
  expect_f32(dy, 4, "dy", "N,K,OH,OW");
  expect_f32(dw, 4, "dw", "K,C,KH,KW");
  if (db) expect_f32(*db, 1, "db", "K");
  const WindowGeometry s = conv_shape(x, "x", dw, "dw", hp);
  expect_shape(dy, output_shape(s), "dy");
  if (db) expect_shape(*db, {s.k}, "db");
  expect_same_device({{"x", &x}, {"dy", &dy}, {"dw", &dw}, {"db", db}});
  expect_distinct(dw, "dw", x, "x");
  expect_distinct(dw, "dw", dy, "dy");
  if (db) {
    expect_distinct(*db, "db", x, "x");
    expect_distinct(*db, "db", dy, "dy");
    expect_distinct(*db, "db", dw, "dw");
  }

  const Device d = x.device();
  float* bias_grad = db ? db->f32() : nullptr;
  if (d.is_cuda()) {
    expect_cuda_indexable(s, {{"x", &x}, {"dy", &dy}, {"dw", &dw}});
    WSR_ON_CUDA(d, cuda_backward_weight(d, s, x.f32(), dy.f32(), dw.f32(), bias_grad));
  } else {
    cpu::conv2d_backward_weight(s, x.f32(), dy.f32(), dw.f32(), bias_grad);
  }
  return info.Env().Undefined();
}

}  // namespace wsr::binding
