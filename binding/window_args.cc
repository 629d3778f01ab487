#include "window_args.h"

#include <climits>

#include "args.h"

namespace wsr::binding {
namespace {

void expect_pad_below(int64_t pad, const char* name, int64_t kernel, const char* axis) {
  if (pad >= kernel)
    throw ArgumentRangeError(std::string(name) + " must be less than the kernel " + axis + " " +
                             std::to_string(kernel) + ", got " + std::to_string(pad));
}

// The kernels index one patch, one position grid and one padded row or column with 32-bit ints.
void expect_int_range(int64_t value, const std::string& what) {
  if (value > INT_MAX) throw ArgumentRangeError(what + " is " + std::to_string(value) + "; at most 2^31-1 is supported");
}

// Output size along one axis; throws when the padded input is smaller than the kernel.
int64_t output_size(int64_t in, int64_t pad_before, int64_t pad_after, int64_t kernel, int64_t stride,
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

}  // namespace

WindowHyper window_hyper_args(const Napi::CallbackInfo& info, size_t first) {
  WindowHyper h;
  h.stride_h = int_arg(info, first, "strideH", 1, kMaxDim);
  h.stride_w = int_arg(info, first + 1, "strideW", 1, kMaxDim);
  h.pad_top = int_arg(info, first + 2, "padTop", 0, kMaxDim);
  h.pad_bottom = int_arg(info, first + 3, "padBottom", 0, kMaxDim);
  h.pad_left = int_arg(info, first + 4, "padLeft", 0, kMaxDim);
  h.pad_right = int_arg(info, first + 5, "padRight", 0, kMaxDim);
  return h;
}

WindowGeometry window_shape(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t kh, int64_t kw,
                         const WindowHyper& hp, const std::string& input_name) {
  expect_pad_below(hp.pad_top, "padTop", kh, "height");
  expect_pad_below(hp.pad_bottom, "padBottom", kh, "height");
  expect_pad_below(hp.pad_left, "padLeft", kw, "width");
  expect_pad_below(hp.pad_right, "padRight", kw, "width");
  const int64_t oh = output_size(h, hp.pad_top, hp.pad_bottom, kh, hp.stride_h, "height", input_name);
  const int64_t ow = output_size(w, hp.pad_left, hp.pad_right, kw, hp.stride_w, "width", input_name);
  expect_int_range(c * kh * kw, "the patch size C*KH*KW");
  expect_int_range(oh * ow, "the number of output positions OH*OW");
  // Every dimension is at most kMaxDim = INT_MAX (shape_arg), so the int fields cannot overflow.
  WindowGeometry s;
  s.n = static_cast<int>(n);
  s.c = static_cast<int>(c);
  s.h = static_cast<int>(h);
  s.w = static_cast<int>(w);
  s.k = static_cast<int>(k);
  s.kh = static_cast<int>(kh);
  s.kw = static_cast<int>(kw);
  s.stride_h = static_cast<int>(hp.stride_h);
  s.stride_w = static_cast<int>(hp.stride_w);
  s.pad_top = static_cast<int>(hp.pad_top);
  s.pad_left = static_cast<int>(hp.pad_left);
  s.oh = static_cast<int>(oh);
  s.ow = static_cast<int>(ow);
  return s;
}

}  // namespace wsr::binding
