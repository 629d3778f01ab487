#include "window_args.h"

#include <climits>
#include <string>

#include "args.h"

namespace wsr::binding {
namespace {

// A window whose leading padding is a whole kernel row or more reads nothing, and the CPU kernels
// zero-fill that padding within one kernel row: wider padding would write past it.
void expect_pad_below(int64_t pad, const char* name, int64_t kernel, const char* axis) {
  if (pad >= kernel)
    throw ArgumentRangeError(std::string(name) + " must be less than the kernel " + axis + " " +
                             std::to_string(kernel) + ", got " + std::to_string(pad));
}

// The kernels index one patch, one position grid and one padded row or column with 32-bit ints.
void expect_int_range(int64_t value, const std::string& what) {
  if (value > INT_MAX) throw ArgumentRangeError(what + " is " + std::to_string(value) + "; at most 2^31-1 is supported");
}

// The number of windows that fit along one axis: the output size the tensors must have. Throws when
// the padded input is smaller than the kernel (no window fits).
int64_t window_count(int64_t in, int64_t pad_before, int64_t pad_after, int64_t kernel, int64_t stride,
                     const char* axis, const std::string& input_name) {
  const int64_t padded = in + pad_before + pad_after;
  expect_int_range(padded, "the padded " + input_name + " " + axis);
  if (padded < kernel)
    throw ArgumentRangeError("the padded " + input_name + " " + axis + " " + std::to_string(in) + "+" +
                             std::to_string(pad_before) + "+" + std::to_string(pad_after) + " = " +
                             std::to_string(padded) + " is smaller than the kernel " + axis + " " +
                             std::to_string(kernel));
  return (padded - kernel) / stride + 1;
}

// The six trailing integers from info[first..first+5]: strides >= 1, padding >= 0.
StridePadding stride_padding_args(const Napi::CallbackInfo& info, size_t first) {
  StridePadding sp;
  sp.stride_h = int_arg(info, first, "strideH", 1, kMaxDim);
  sp.stride_w = int_arg(info, first + 1, "strideW", 1, kMaxDim);
  sp.pad_top = int_arg(info, first + 2, "padTop", 0, kMaxDim);
  sp.pad_bottom = int_arg(info, first + 3, "padBottom", 0, kMaxDim);
  sp.pad_left = int_arg(info, first + 4, "padLeft", 0, kMaxDim);
  sp.pad_right = int_arg(info, first + 5, "padRight", 0, kMaxDim);
  return sp;
}

// The geometry of a layer over an input [n, c, h, w] (named `input_name` in messages) with kernels of
// k filters of kh x kw, strided and padded as `sp` says. Throws when a padding side is not smaller than
// the kernel, when no window fits, or when a size the kernels index with 32-bit ints overflows.
WindowGeometry checked_geometry(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t kh, int64_t kw,
                                const StridePadding& sp, const std::string& input_name) {
  expect_pad_below(sp.pad_top, "padTop", kh, "height");
  expect_pad_below(sp.pad_bottom, "padBottom", kh, "height");
  expect_pad_below(sp.pad_left, "padLeft", kw, "width");
  expect_pad_below(sp.pad_right, "padRight", kw, "width");
  const int64_t oh = window_count(h, sp.pad_top, sp.pad_bottom, kh, sp.stride_h, "height", input_name);
  const int64_t ow = window_count(w, sp.pad_left, sp.pad_right, kw, sp.stride_w, "width", input_name);
  expect_int_range(c * kh * kw, "the patch size C*KH*KW");
  expect_int_range(oh * ow, "the number of output positions OH*OW");
  // Every dimension is at most kMaxDim = INT_MAX (shape_arg), so the int fields cannot overflow.
  WindowGeometry g;
  g.n = static_cast<int>(n);
  g.c = static_cast<int>(c);
  g.h = static_cast<int>(h);
  g.w = static_cast<int>(w);
  g.k = static_cast<int>(k);
  g.kh = static_cast<int>(kh);
  g.kw = static_cast<int>(kw);
  g.stride_h = static_cast<int>(sp.stride_h);
  g.stride_w = static_cast<int>(sp.stride_w);
  g.pad_top = static_cast<int>(sp.pad_top);
  g.pad_left = static_cast<int>(sp.pad_left);
  g.oh = static_cast<int>(oh);
  g.ow = static_cast<int>(ow);
  return g;
}

// Conv: weight [k, c, kh, kw] with at least one filter, row and column, and the input's channels.
WindowGeometry conv_geometry(const Tensor& input, const char* input_name, const Tensor& weight, const char* weight_name,
                             const StridePadding& sp) {
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
  return checked_geometry(n, c, h, w, k, kh, kw, sp, in);
}

void expect_nonempty(const Tensor& t, const char* name) {
  if (t.size() == 0) throw ArgumentRangeError(std::string(name) + " must not be empty, got shape " + shape_str(t.shape()));
}

// Locally connected: a non-empty input and weight [oh, ow, k, c, kh, kw] whose banks take the input's channels.
WindowGeometry local_geometry(const Tensor& input, const char* input_name, const Tensor& weight,
                              const char* weight_name, const StridePadding& sp) {
  expect_nonempty(input, input_name);
  expect_nonempty(weight, weight_name);
  if (weight.dim(3) != input.dim(1))
    throw ArgumentRangeError(std::string(weight_name) + " has " + std::to_string(weight.dim(3)) +
                             " input channels (dimension 3) but " + input_name + " has " +
                             std::to_string(input.dim(1)) + " channels, shapes " + shape_str(weight.shape()) +
                             " and " + shape_str(input.shape()));
  return checked_geometry(input.dim(0), input.dim(1), input.dim(2), input.dim(3), weight.dim(2), weight.dim(4),
                          weight.dim(5), sp, input_name);
}

// Every tensor under 2^31 elements, and the input's rows and columns plus the kernel too.
void expect_cuda_indexable(const WindowGeometry& g, const Operands& tensors) {
  tensors.for_each([](const char* name, const Tensor& t) {
    if (t.size() > INT_MAX)
      throw ArgumentRangeError(std::string(name) + " has " + std::to_string(t.size()) +
                               " elements; the CUDA kernels take at most 2^31-1 per tensor");
  });
  if (int64_t{g.h} + g.kh > INT_MAX || int64_t{g.w} + g.kw > INT_MAX)
    throw ArgumentRangeError("the input is too large for the CUDA kernels (height or width plus kernel size >= 2^31)");
}

constexpr const char* kInputDims = "N,C,H,W";
constexpr const char* kOutputDims = "N,K,OH,OW";

// The tensors of one pass, and which of them plays which part in the geometry.
struct PassLayout {
  size_t arguments, geometry_first;  // the argument count, and the index of strideH
  const char *input, *weight, *bias, *output;  // bias: nullptr when the pass has none
};

PassLayout layout_of(WindowPass pass) {
  switch (pass) {
    case WindowPass::Forward: return {10, 4, "x", "w", "b", "y"};
    case WindowPass::BackwardInput: return {9, 3, "dx", "w", nullptr, "dy"};
    default: return {10, 4, "x", "dw", "db", "dy"};
  }
}

Operands take_tensors(const Napi::CallbackInfo& info, const WindowFamily& f, WindowPass pass) {
  switch (pass) {
    case WindowPass::Forward:
      return Operands(info, {input(0, "x", 4, kInputDims), input(1, "w", f.weight_rank, f.weight_dims),
                             input(2, "b", f.bias_rank, f.bias_dims).optional(), output(3, "y", 4, kOutputDims)});
    case WindowPass::BackwardInput:
      return Operands(info, {input(0, "dy", 4, kOutputDims), input(1, "w", f.weight_rank, f.weight_dims),
                             output(2, "dx", 4, kInputDims)});
    default:
      return Operands(info, {input(0, "x", 4, kInputDims), input(1, "dy", 4, kOutputDims),
                             output(2, "dw", f.weight_rank, f.weight_dims),
                             output(3, "db", f.bias_rank, f.bias_dims).optional()});
  }
}

}  // namespace

const WindowFamily kConvFamily{
    4, "K,C,KH,KW", 1, "K", conv_geometry,
    [](const WindowGeometry& g) -> Shape { return {g.k, g.c, g.kh, g.kw}; },
    [](const WindowGeometry& g) -> Shape { return {g.k}; },
    true,
};

const WindowFamily kLocalFamily{
    6, "OH,OW,K,C,KH,KW", 3, "OH,OW,K", local_geometry,
    [](const WindowGeometry& g) -> Shape { return {g.oh, g.ow, g.k, g.c, g.kh, g.kw}; },
    [](const WindowGeometry& g) -> Shape { return {g.oh, g.ow, g.k}; },
    false,  // 64-bit offsets throughout cuda/local.cu
};

WindowArgs window_args(const Napi::CallbackInfo& info, const WindowFamily& family, WindowPass pass) {
  const PassLayout part = layout_of(pass);
  expect_arg_count(info, part.arguments);
  Operands tensors = take_tensors(info, family, pass);
  const StridePadding sp = stride_padding_args(info, part.geometry_first);
  const WindowGeometry g = family.geometry(tensors[part.input], part.input, tensors[part.weight], part.weight, sp);
  expect_shape(tensors[part.weight], family.weight_shape(g), part.weight);
  if (part.bias && tensors.get(part.bias)) expect_shape(tensors[part.bias], family.bias_shape(g), part.bias);
  expect_shape(tensors[part.output], {g.n, g.k, g.oh, g.ow}, part.output);
  tensors.check_placement();
  if (family.cuda_int32_indices && tensors.device().is_cuda()) expect_cuda_indexable(g, tensors);
  return WindowArgs{std::move(tensors), g};
}

}  // namespace wsr::binding
