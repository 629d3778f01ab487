// Checks and timings of the data-augmentation kernels (cpu/augment.h, cuda/augment.h) at a small
// odd shape and at the CIFAR-10 input batch [128,3,32,32]. With a GPU: CUDA against CPU, which must
// agree exactly (rotation: within 1e-6). Without: the CPU kernel against direct double-precision
// loops written here, the generator against Random123's known answers, and the noise statistics.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "check.h"
#include "cpu/augment.h"
#ifdef WSR_WITH_CUDA
#include "cuda/augment.h"
#endif

namespace {

using wsr::ImageBatch;
using wsr::check::Context;

const ImageBatch kSmall{3, 5, 7, 9};
const ImageBatch kCifar{128, 3, 32, 32};
constexpr uint32_t kSeed = 20240611, kStream = 17;

std::string shape_str(const ImageBatch& s) {
  return "[" + std::to_string(s.n) + "," + std::to_string(s.c) + "," + std::to_string(s.h) + "," +
         std::to_string(s.w) + "]";
}

// One op on both sides: `cpu(x, y)` and `cuda(x, y)` run it on host and device pointers;
// `reference(x)` (used without a GPU) computes it directly in double.
struct AugmentOp {
  const char* name;
  std::function<void(const ImageBatch&, const float*, float*)> cpu;
  std::function<void(const ImageBatch&, const float*, float*)> cuda;
  std::function<std::vector<double>(const ImageBatch&, const std::vector<float>&)> reference;
  double cuda_tolerance;
  double reference_tolerance;
};

void check_op(Context& ctx, const AugmentOp& op, const ImageBatch& s) {
  const std::vector<float> x = wsr::check::random_vector(ctx, s.size(), 0.f, 1.f);
  std::vector<float> y(x.size());
  const double cpu_ms = wsr::check::time_ms(ctx, [&] { op.cpu(s, x.data(), y.data()); });
  const std::string name = std::string("augment_") + op.name;
#ifdef WSR_WITH_CUDA
  if (ctx.cuda) {
    wsr::check::DeviceBuffer dx(x), dy(x.size());
    const double cuda_ms = wsr::check::time_ms(ctx, [&] { op.cuda(s, dx.ptr, dy.ptr); }, wsr::check::cuda_sync);
    wsr::check::report(ctx, name, shape_str(s), cpu_ms, cuda_ms, wsr::check::max_error(dy.to_host(), y),
                       op.cuda_tolerance);
    return;
  }
#endif
  const std::vector<double> ref = op.reference(s, x);
  std::vector<float> expected(ref.begin(), ref.end());
  wsr::check::report(ctx, name, shape_str(s), cpu_ms, -1, wsr::check::max_error(y, expected),
                     op.reference_tolerance);
}

// ---- direct double-precision references ----------------------------------------------------------

double normal_at(int64_t e) {
  double z[4];
  wsr::rng::normal4(kSeed, kStream, static_cast<uint64_t>(e / 4), z);
  return z[e % 4];
}

std::vector<double> ref_noise(const ImageBatch& s, const std::vector<float>& x, double sigma, int64_t border) {
  std::vector<double> y(x.begin(), x.end());
  for (int64_t e = 0; e < s.size(); ++e) {
    const int64_t i = e / s.w % s.h, j = e % s.w;
    const bool edge = i < border || i >= s.h - border || j < border || j >= s.w - border;
    if (edge) y[e] = x[e] + sigma * normal_at(e);
  }
  return y;
}

std::vector<double> ref_translate(const ImageBatch& s, const std::vector<float>& x, double fraction) {
  std::vector<double> y(x.size());
  const int64_t max_dy = std::llround(fraction * s.h), max_dx = std::llround(fraction * s.w);
  for (int64_t n = 0; n < s.n; ++n) {
    int64_t dy, dx;
    wsr::augment::translation_shift(kSeed, kStream, n, max_dy, max_dx, &dy, &dx);
    for (int64_t c = 0; c < s.c; ++c)
      for (int64_t i = 0; i < s.h; ++i)
        for (int64_t j = 0; j < s.w; ++j) {
          const int64_t si = std::min(std::max<int64_t>(i - dy, 0), s.h - 1);
          const int64_t sj = std::min(std::max<int64_t>(j - dx, 0), s.w - 1);
          y[((n * s.c + c) * s.h + i) * s.w + j] = x[((n * s.c + c) * s.h + si) * s.w + sj];
        }
  }
  return y;
}

// Rotation with libm's cos and sin of the angle in radians (the kernels use their own series).
std::vector<double> ref_rotate(const ImageBatch& s, const std::vector<float>& x, double max_degrees) {
  std::vector<double> y(x.size());
  for (int64_t n = 0; n < s.n; ++n) {
    const double theta = wsr::augment::rotation_degrees(kSeed, kStream, n, max_degrees) * M_PI / 180;
    const double cy = (s.h - 1) / 2.0, cx = (s.w - 1) / 2.0;
    for (int64_t i = 0; i < s.h; ++i)
      for (int64_t j = 0; j < s.w; ++j) {
        const double sx = std::clamp(cx + std::cos(theta) * (j - cx) - std::sin(theta) * (i - cy), 0.0, s.w - 1.0);
        const double sy = std::clamp(cy + std::sin(theta) * (j - cx) + std::cos(theta) * (i - cy), 0.0, s.h - 1.0);
        const int64_t x0 = static_cast<int64_t>(sx), y0 = static_cast<int64_t>(sy);
        const int64_t x1 = std::min(x0 + 1, s.w - 1), y1 = std::min(y0 + 1, s.h - 1);
        const double fx = sx - x0, fy = sy - y0;
        for (int64_t c = 0; c < s.c; ++c) {
          const float* p = x.data() + (n * s.c + c) * s.h * s.w;
          y[((n * s.c + c) * s.h + i) * s.w + j] = (1 - fy) * ((1 - fx) * p[y0 * s.w + x0] + fx * p[y0 * s.w + x1]) +
                                                   fy * ((1 - fx) * p[y1 * s.w + x0] + fx * p[y1 * s.w + x1]);
        }
      }
  }
  return y;
}

std::vector<double> ref_swap(const ImageBatch& s, const std::vector<float>& x) {
  std::vector<double> y(x.begin(), x.end());
  const int64_t qh = s.h / 2, qw = s.w / 2;
  for (int64_t p = 0; p < s.n * s.c; ++p)
    for (int64_t i = 0; i < qh; ++i)
      for (int64_t j = 0; j < qw; ++j) {
        const int64_t top_right = p * s.h * s.w + i * s.w + (s.w - qw + j);
        const int64_t bottom_left = p * s.h * s.w + (s.h - qh + i) * s.w + j;
        y[top_right] = x[bottom_left];
        y[bottom_left] = x[top_right];
      }
  return y;
}

#ifdef WSR_WITH_CUDA
#define WSR_CUDA_OP(call) [](const ImageBatch& s, const float* x, float* y) { wsr::cuda::call; }
#else
#define WSR_CUDA_OP(call) nullptr
#endif

const std::vector<AugmentOp>& ops() {
  static const std::vector<AugmentOp> all = {
      {"gaussian_noise",
       [](const ImageBatch& s, const float* x, float* y) { wsr::cpu::gaussian_noise(s, x, y, 0.5, kSeed, kStream); },
       WSR_CUDA_OP(gaussian_noise(s, x, y, 0.5, kSeed, kStream)),
       [](const ImageBatch& s, const std::vector<float>& x) { return ref_noise(s, x, 0.5, s.h + s.w); }, 0, 1e-7},
      {"edge_noise",
       [](const ImageBatch& s, const float* x, float* y) { wsr::cpu::edge_noise(s, x, y, 0.15, 2, kSeed, kStream); },
       WSR_CUDA_OP(edge_noise(s, x, y, 0.15, 2, kSeed, kStream)),
       [](const ImageBatch& s, const std::vector<float>& x) { return ref_noise(s, x, 0.15, 2); }, 0, 1e-7},
      {"translate",
       [](const ImageBatch& s, const float* x, float* y) { wsr::cpu::translate(s, x, y, 0.25, kSeed, kStream); },
       WSR_CUDA_OP(translate(s, x, y, 0.25, kSeed, kStream)),
       [](const ImageBatch& s, const std::vector<float>& x) { return ref_translate(s, x, 0.25); }, 0, 0},
      {"rotate",
       [](const ImageBatch& s, const float* x, float* y) { wsr::cpu::rotate(s, x, y, 45, kSeed, kStream); },
       WSR_CUDA_OP(rotate(s, x, y, 45, kSeed, kStream)),
       [](const ImageBatch& s, const std::vector<float>& x) { return ref_rotate(s, x, 45); }, 1e-6, 1e-6},
      {"quadrant_swap", [](const ImageBatch& s, const float* x, float* y) { wsr::cpu::quadrant_swap(s, x, y); },
       WSR_CUDA_OP(quadrant_swap(s, x, y)),
       [](const ImageBatch& s, const std::vector<float>& x) { return ref_swap(s, x); }, 0, 0},
  };
  return all;
}

void check_named(Context& ctx, const char* name) {
  for (const AugmentOp& op : ops()) {
    if (std::string(op.name) != name) continue;
    check_op(ctx, op, kSmall);
    check_op(ctx, op, kCifar);
  }
}

}  // namespace

// Philox-4x32-10 against Random123's known-answer vectors (a wrong port would change every value).
WSR_CHECK(augment_philox_known_answers) {
  struct Kat {
    uint32_t ctr[4], key[2], expected[4];
  };
  const Kat kats[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{~0u, ~0u, ~0u, ~0u}, {~0u, ~0u}, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0}, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  int wrong = 0;
  for (const Kat& k : kats) {
    const wsr::rng::Philox4 r = wsr::rng::philox4x32_10(k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3], k.key[0], k.key[1]);
    for (int i = 0; i < 4; ++i) wrong += r.v[i] != k.expected[i];
  }
  wsr::check::report(ctx, "augment_philox_kat", "3 vectors", 0, -1, wrong, 0);
}

// Mean and standard deviation of the noise on a CIFAR batch of zeros (393,216 values, sigma 0.3).
WSR_CHECK(augment_noise_statistics) {
  const ImageBatch s = kCifar;
  const std::vector<float> zeros(static_cast<size_t>(s.size()), 0.f);
  std::vector<float> y(zeros.size());
  wsr::cpu::gaussian_noise(s, zeros.data(), y.data(), 0.3, kSeed, kStream);
  double sum = 0, sum_sq = 0;
  for (float v : y) {
    sum += v;
    sum_sq += double(v) * v;
  }
  const double mean = sum / y.size(), std_dev = std::sqrt(sum_sq / y.size() - mean * mean);
  // |mean| within 4 standard errors, std within 1%: report the larger as a fraction of its limit.
  const double error = std::max(std::fabs(mean) / (4 * 0.3 / std::sqrt(double(y.size()))), std::fabs(std_dev / 0.3 - 1) / 0.01);
  wsr::check::report(ctx, "augment_noise_stats", shape_str(s) + " mean,std/limit", 0, -1, error, 1);
}

WSR_CHECK(augment_gaussian_noise) { check_named(ctx, "gaussian_noise"); }
WSR_CHECK(augment_edge_noise) { check_named(ctx, "edge_noise"); }
WSR_CHECK(augment_translate) { check_named(ctx, "translate"); }
WSR_CHECK(augment_rotate) { check_named(ctx, "rotate"); }
WSR_CHECK(augment_quadrant_swap) { check_named(ctx, "quadrant_swap"); }
