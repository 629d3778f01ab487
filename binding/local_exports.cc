// Exports of the locally connected (untied convolution) family and the conv <-> LC conversions.
// Layouts: x [N,C,H,W], w [OH,OW,K,C,KH,KW], b [OH,OW,K], y [N,K,OH,OW]; conv weight [K,C,KH,KW],
// conv bias [K]. OH and OW follow from the input size, kernel, strides and padding, and every
// tensor's shape is checked against them before any memory is touched.
#include "args.h"
#include "cpu/local.h"
#include "cuda/local.h"
#include "registry.h"
#include "window_args.h"
#include "workspace.h"

namespace wsr::binding {
namespace {

constexpr const char* kInputDims = "N,C,H,W";
constexpr const char* kLocalWeightDims = "OH,OW,K,C,KH,KW";
constexpr const char* kLocalBiasDims = "OH,OW,K";
constexpr const char* kConvWeightDims = "K,C,KH,KW";

// The bank's input channels (dimension 3 of a local weight) must match the input's channels.
void expect_channels(const Tensor& weight, const char* weight_name, const Tensor& input, const char* input_name) {
  if (weight.dim(3) != input.dim(1))
    throw ArgumentRangeError(std::string(weight_name) + " has " + std::to_string(weight.dim(3)) +
                             " input channels (dimension 3) but " + input_name + " has " + std::to_string(input.dim(1)) +
                             " channels, shapes " + shape_str(weight.shape()) + " and " + shape_str(input.shape()));
}

void expect_nonempty(const Tensor& t, const char* name) {
  if (t.size() == 0) throw ArgumentRangeError(std::string(name) + " must not be empty, got shape " + shape_str(t.shape()));
}

Shape local_weight_shape(const WindowGeometry& s) { return {s.oh, s.ow, s.k, s.c, s.kh, s.kw}; }
Shape local_bias_shape(const WindowGeometry& s) { return {s.oh, s.ow, s.k}; }
Shape output_shape(const WindowGeometry& s) { return {s.n, s.k, s.oh, s.ow}; }

}  // namespace

// local2dForward(x, w, b | null, y, strideH, strideW, padTop, padBottom, padLeft, padRight):
// y[n,k,i,j] = b[i,j,k] + Σ_{c,ki,kj} w[i,j,k,c,ki,kj] · x[n,c,i·strideH-padTop+ki, j·strideW-padLeft+kj].
WSR_EXPORT(local2dForward) {
  expect_arg_count(info, 10);
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& w = tensor_arg(info, 1, "w");
  const Tensor* b = optional_tensor_arg(info, 2, "b");
  Tensor& y = tensor_arg(info, 3, "y");
  expect_f32(x, 4, "x", kInputDims);
  expect_f32(w, 6, "w", kLocalWeightDims);
  if (b) expect_f32(*b, 3, "b", kLocalBiasDims);
  expect_f32(y, 4, "y", "N,K,OH,OW");
  expect_nonempty(x, "x");
  expect_nonempty(w, "w");
  expect_channels(w, "w", x, "x");
  const WindowGeometry s = window_shape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), w.dim(2), w.dim(4),
                                     w.dim(5), window_hyper_args(info, 4), "x");
  expect_shape(w, local_weight_shape(s), "w");
  if (b) expect_shape(*b, local_bias_shape(s), "b");
  expect_shape(y, output_shape(s), "y");
  expect_same_device({{"x", &x}, {"w", &w}, {"b", b}, {"y", &y}});
  expect_distinct(y, "y", x, "x");
  expect_distinct(y, "y", w, "w");
  if (b) expect_distinct(y, "y", *b, "b");
  const Device d = x.device();
  const float* bias = b ? b->f32() : nullptr;
  if (d.is_cuda())
    WSR_ON_CUDA(d, with_workspace(d, cuda::local2d_forward_workspace(s), [&](float* ws) {
                  cuda::local2d_forward(s, x.f32(), w.f32(), bias, y.f32(), ws);
                }));
  else
    cpu::local2d_forward(s, x.f32(), w.f32(), bias, y.f32());
  return info.Env().Undefined();
}

// local2dBackwardInput(dy, w, dx, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dx = gradient of Σ dy·y with respect to x (the input size is dx's shape).
WSR_EXPORT(local2dBackwardInput) {
  expect_arg_count(info, 9);
  const Tensor& dy = tensor_arg(info, 0, "dy");
  const Tensor& w = tensor_arg(info, 1, "w");
  Tensor& dx = tensor_arg(info, 2, "dx");
  expect_f32(dy, 4, "dy", "N,K,OH,OW");
  expect_f32(w, 6, "w", kLocalWeightDims);
  expect_f32(dx, 4, "dx", kInputDims);
  expect_nonempty(dx, "dx");
  expect_nonempty(w, "w");
  expect_channels(w, "w", dx, "dx");
  const WindowGeometry s = window_shape(dx.dim(0), dx.dim(1), dx.dim(2), dx.dim(3), w.dim(2), w.dim(4),
                                     w.dim(5), window_hyper_args(info, 3), "dx");
  expect_shape(w, local_weight_shape(s), "w");
  expect_shape(dy, output_shape(s), "dy");
  expect_same_device({{"dy", &dy}, {"w", &w}, {"dx", &dx}});
  expect_distinct(dx, "dx", dy, "dy");
  expect_distinct(dx, "dx", w, "w");
  const Device d = dx.device();
  if (d.is_cuda()) {
    WSR_ON_CUDA(d, with_workspace(d, cuda::local2d_backward_input_workspace(s), [&](float* ws) {
                  cuda::local2d_backward_input(s, dy.f32(), w.f32(), dx.f32(), ws);
                }));
  } else {
    cpu::local2d_backward_input(s, dy.f32(), w.f32(), dx.f32());
  }
  return info.Env().Undefined();
}

// local2dBackwardWeight(x, dy, dw, db | null, strideH, strideW, padTop, padBottom, padLeft, padRight):
// dw (and db) = gradients of Σ dy·y with respect to w (and b); overwritten, not accumulated.
WSR_EXPORT(local2dBackwardWeight) {
  expect_arg_count(info, 10);
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& dy = tensor_arg(info, 1, "dy");
  Tensor& dw = tensor_arg(info, 2, "dw");
  Tensor* db = optional_tensor_arg(info, 3, "db");
  expect_f32(x, 4, "x", kInputDims);
  expect_f32(dy, 4, "dy", "N,K,OH,OW");
  expect_f32(dw, 6, "dw", kLocalWeightDims);
  if (db) expect_f32(*db, 3, "db", kLocalBiasDims);
  expect_nonempty(x, "x");
  expect_nonempty(dw, "dw");
  expect_channels(dw, "dw", x, "x");
  const WindowGeometry s = window_shape(x.dim(0), x.dim(1), x.dim(2), x.dim(3), dw.dim(2), dw.dim(4),
                                     dw.dim(5), window_hyper_args(info, 4), "x");
  expect_shape(dw, local_weight_shape(s), "dw");
  if (db) expect_shape(*db, local_bias_shape(s), "db");
  expect_shape(dy, output_shape(s), "dy");
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
  if (d.is_cuda())
    WSR_ON_CUDA(d, with_workspace(d, cuda::local2d_backward_weight_workspace(s), [&](float* ws) {
                  cuda::local2d_backward_weight(s, x.f32(), dy.f32(), dw.f32(), bias_grad, ws);
                }));
  else
    cpu::local2d_backward_weight(s, x.f32(), dy.f32(), dw.f32(), bias_grad);
  return info.Env().Undefined();
}

namespace {

// The shared pieces of convToLocal and localToConv: conv weight [K,C,KH,KW] and local weight
// [OH,OW,K,C,KH,KW] with one bank per position, and biases that are both given or both null.
struct Conversion {
  int64_t positions, bank_size, k;
};

Conversion check_conversion(const Tensor& conv_w, const Tensor* conv_b, const Tensor& local_w, const Tensor* local_b) {
  expect_f32(conv_w, 4, "convW", kConvWeightDims);
  expect_f32(local_w, 6, "localW", kLocalWeightDims);
  expect_nonempty(conv_w, "convW");
  if (local_w.dim(0) == 0 || local_w.dim(1) == 0)
    throw ArgumentRangeError("localW must have at least one output position, got shape " + shape_str(local_w.shape()));
  const Shape& cs = conv_w.shape();
  expect_shape(local_w, {local_w.dim(0), local_w.dim(1), cs[0], cs[1], cs[2], cs[3]}, "localW");
  if ((conv_b == nullptr) != (local_b == nullptr))
    throw ArgumentTypeError("convB and localB must both be tensors or both be null");
  if (conv_b) {
    expect_f32(*conv_b, 1, "convB", "K");
    expect_shape(*conv_b, {cs[0]}, "convB");
    expect_f32(*local_b, 3, "localB", kLocalBiasDims);
    expect_shape(*local_b, {local_w.dim(0), local_w.dim(1), cs[0]}, "localB");
  }
  expect_same_device({{"convW", &conv_w}, {"convB", conv_b}, {"localW", &local_w}, {"localB", local_b}});
  return Conversion{local_w.dim(0) * local_w.dim(1), conv_w.size(), cs[0]};
}

}  // namespace

// convToLocal(convW, convB | null, localW, localB | null): every position of localW [OH,OW,K,C,KH,KW]
// (and localB [OH,OW,K]) gets a copy of the shared kernel convW [K,C,KH,KW] (and bias convB [K]).
WSR_EXPORT(convToLocal) {
  expect_arg_count(info, 4);
  const Tensor& conv_w = tensor_arg(info, 0, "convW");
  const Tensor* conv_b = optional_tensor_arg(info, 1, "convB");
  Tensor& local_w = tensor_arg(info, 2, "localW");
  Tensor* local_b = optional_tensor_arg(info, 3, "localB");
  const Conversion cv = check_conversion(conv_w, conv_b, local_w, local_b);
  expect_distinct(local_w, "localW", conv_w, "convW");
  if (conv_b) {
    expect_distinct(*local_b, "localB", local_w, "localW");  // both outputs: one buffer cannot hold both
    expect_distinct(local_w, "localW", *conv_b, "convB");
    expect_distinct(*local_b, "localB", conv_w, "convW");
    expect_distinct(*local_b, "localB", *conv_b, "convB");
  }
  const Device d = conv_w.device();
  const float* cb = conv_b ? conv_b->f32() : nullptr;
  float* lb = local_b ? local_b->f32() : nullptr;
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::conv_to_local(cv.positions, cv.bank_size, cv.k, conv_w.f32(), cb, local_w.f32(), lb));
  else
    cpu::conv_to_local(cv.positions, cv.bank_size, cv.k, conv_w.f32(), cb, local_w.f32(), lb);
  return info.Env().Undefined();
}

// localToConv(localW, localB | null, convW, convB | null): convW (and convB) = the mean over output
// positions of localW (and localB), for analysing how far the positions have drifted apart.
WSR_EXPORT(localToConv) {
  expect_arg_count(info, 4);
  const Tensor& local_w = tensor_arg(info, 0, "localW");
  const Tensor* local_b = optional_tensor_arg(info, 1, "localB");
  Tensor& conv_w = tensor_arg(info, 2, "convW");
  Tensor* conv_b = optional_tensor_arg(info, 3, "convB");
  const Conversion cv = check_conversion(conv_w, conv_b, local_w, local_b);
  expect_distinct(conv_w, "convW", local_w, "localW");
  if (local_b) {
    expect_distinct(*conv_b, "convB", conv_w, "convW");  // both outputs: one buffer cannot hold both
    expect_distinct(conv_w, "convW", *local_b, "localB");
    expect_distinct(*conv_b, "convB", local_w, "localW");
    expect_distinct(*conv_b, "convB", *local_b, "localB");
  }
  const Device d = local_w.device();
  const float* lb = local_b ? local_b->f32() : nullptr;
  float* cb = conv_b ? conv_b->f32() : nullptr;
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::local_to_conv(cv.positions, cv.bank_size, cv.k, local_w.f32(), lb, conv_w.f32(), cb));
  else
    cpu::local_to_conv(cv.positions, cv.bank_size, cv.k, local_w.f32(), lb, conv_w.f32(), cb);
  return info.Env().Undefined();
}

}  // namespace wsr::binding
