// Exports of the data-augmentation family: noise for training and the robustness perturbations,
// on float32 image batches x [N,C,H,W]. Outputs y (same shape, same device) are overwritten.
// gaussianNoise and edgeNoise may run in place (y the same tensor as x); translate, rotate and
// quadrantSwap need a y that shares no memory with x.
#include <cstdio>
#include <string>

#include "args.h"
#include "cpu/augment.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/augment.h"
#endif

namespace wsr::binding {
namespace {

constexpr int64_t kMaxWord = 4294967295;  // seeds and streams are 32-bit words

std::string number_str(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

struct Images {
  Operands t;
  ImageBatch shape;
  Device device() const { return t.device(); }
  const float* x() const { return t.f32("x"); }
  float* y() const { return t.f32("y"); }
};

// x (arg 0) and y (arg 1): float32 [N,C,H,W] of one shape on one device. In place (y's memory is
// x's) only where `in_place_ok`; no other overlap ever.
Images image_args(const Napi::CallbackInfo& info, bool in_place_ok) {
  OperandSpec y = output(1, "y");
  if (in_place_ok) y.may_be("x");
  Operands t(info, {input(0, "x", 4, "N,C,H,W"), y});
  const Tensor &x = t["x"], &out = t["y"];
  expect_shape(out, x.shape(), "y");
  if (!in_place_ok && x.data() == out.data() && x.byte_length() > 0)
    throw ArgumentRangeError("y must not share memory with x (this op cannot run in place)");
  t.check_placement();
  const ImageBatch shape{x.dim(0), x.dim(1), x.dim(2), x.dim(3)};
  return Images{std::move(t), shape};
}

uint32_t word_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return static_cast<uint32_t>(int_arg(info, i, name, 0, kMaxWord));
}

// A finite number in [min, max] (max_open: [min, max)).
double bounded_arg(const Napi::CallbackInfo& info, size_t i, const char* name, double min, double max,
                   bool max_open = false) {
  const double v = number_arg(info, i, name);
  if (v < min || v > max || (max_open && v == max))
    throw ArgumentRangeError(std::string(name) + " must be in [" + number_str(min) + ", " + number_str(max) +
                             (max_open ? ")" : "]") + ", got " + number_str(v));
  return v;
}

double sigma_arg(const Napi::CallbackInfo& info, size_t i) {
  const double sigma = number_arg(info, i, "sigma");
  if (sigma < 0) throw ArgumentRangeError("sigma must be >= 0, got " + number_str(sigma));
  return sigma;
}

}  // namespace

// gaussianNoise(x, y, sigma, seed, stream): y = x + sigma·N(0, 1), no clipping. y may be x.
WSR_EXPORT(gaussianNoise) {
  expect_arg_count(info, 5);
  Images t = image_args(info, true);
  const double sigma = sigma_arg(info, 2);
  const uint32_t seed = word_arg(info, 3, "seed"), stream = word_arg(info, 4, "stream");
  WSR_DISPATCH(t.device(), gaussian_noise, t.shape, t.x(), t.y(), sigma, seed, stream);
  return info.Env().Undefined();
}

// edgeNoise(x, y, sigma, border, seed, stream): gaussianNoise's noise on the pixels within
// `border` pixels of an image edge only; the centre is copied. y may be x.
WSR_EXPORT(edgeNoise) {
  expect_arg_count(info, 6);
  Images t = image_args(info, true);
  const double sigma = sigma_arg(info, 2);
  const int64_t border = int_arg(info, 3, "border", 0, kMaxDim);
  const uint32_t seed = word_arg(info, 4, "seed"), stream = word_arg(info, 5, "stream");
  WSR_DISPATCH(t.device(), edge_noise, t.shape, t.x(), t.y(), sigma, border, seed, stream);
  return info.Env().Undefined();
}

// translate(x, y, maxFraction, seed, stream): each image shifted by its own random integer
// (dy, dx), |dy| <= round(maxFraction·H), |dx| <= round(maxFraction·W); nearest-edge fill.
WSR_EXPORT(translate) {
  expect_arg_count(info, 5);
  Images t = image_args(info, false);
  const double max_fraction = bounded_arg(info, 2, "maxFraction", 0.0, 1.0, true);
  const uint32_t seed = word_arg(info, 3, "seed"), stream = word_arg(info, 4, "stream");
  WSR_DISPATCH(t.device(), translate, t.shape, t.x(), t.y(), max_fraction, seed, stream);
  return info.Env().Undefined();
}

// rotate(x, y, maxDegrees, seed, stream): each image rotated about its centre by its own random
// angle in (−maxDegrees, maxDegrees], maxDegrees in [0, 180]; bilinear, nearest-edge fill.
WSR_EXPORT(rotate) {
  expect_arg_count(info, 5);
  Images t = image_args(info, false);
  const double max_degrees = bounded_arg(info, 2, "maxDegrees", 0.0, 180.0);
  const uint32_t seed = word_arg(info, 3, "seed"), stream = word_arg(info, 4, "stream");
  WSR_DISPATCH(t.device(), rotate, t.shape, t.x(), t.y(), max_degrees, seed, stream);
  return info.Env().Undefined();
}

// quadrantSwap(x, y): the top-right and bottom-left floor(H/2)×floor(W/2) corners exchanged.
WSR_EXPORT(quadrantSwap) {
  expect_arg_count(info, 2);
  Images t = image_args(info, false);
  WSR_DISPATCH(t.device(), quadrant_swap, t.shape, t.x(), t.y());
  return info.Env().Undefined();
}

}  // namespace wsr::binding
