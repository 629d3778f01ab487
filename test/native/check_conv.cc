// Conv2d kernel checks: forward, input gradient and weight/bias gradient at small edge shapes and at
// the paper's CIFAR and MNIST layers (batch 128). With a GPU the CUDA kernels, through every engine path
// (split reductions on and off, both tiles, both input-gradient ways), are compared with their CPU twins
// on the same inputs; without one the CPU kernels are compared with direct double-precision loops
// (every element of the small shapes, a sample of elements of the large ones).
#include <string>
#include <vector>

#include "check.h"
#include "cpu/conv.h"
#ifdef WSR_WITH_CUDA
#include "cuda/conv.h"
#endif

namespace wsr::check {
namespace {

struct Layer {
  const char* name;
  WindowGeometry s;
};

WindowGeometry conv_shape(int n, int c, int h, int w, int k, int kh, int kw, int sh, int sw, int pad_top, int pad_bottom,
                       int pad_left, int pad_right) {
  return WindowGeometry{n,  c,  h,       w,        k, kh, kw, sh, sw, pad_top, pad_left, (h + pad_top + pad_bottom - kh) / sh + 1,
                     (w + pad_left + pad_right - kw) / sw + 1};
}

const std::vector<Layer>& layers() {
  static const std::vector<Layer> all = {
      {"odd", conv_shape(3, 5, 11, 9, 7, 3, 4, 2, 1, 1, 1, 2, 0)},  // asymmetric padding, mixed strides
      {"1x1", conv_shape(1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0)},
      {"stride>kernel", conv_shape(2, 17, 9, 8, 70, 2, 3, 3, 4, 1, 0, 2, 1)},  // phases without taps; 2 row tiles
      // One input channel (the direct kernels of cpu/conv_one_channel.cc): rows of more than 16 outputs,
      // padding on every side, stride 3 across, a tap block and a half (4x4 = 16 taps, blocks of 12).
      {"one-channel", conv_shape(3, 1, 13, 50, 6, 4, 4, 2, 3, 2, 1, 1, 3)},
      {"one-channel s1", conv_shape(2, 1, 7, 19, 5, 3, 5, 1, 1, 1, 1, 2, 2)},
      {"cifar1", conv_shape(128, 3, 32, 32, 64, 5, 5, 2, 2, 0, 0, 0, 0)},
      {"cifar2", conv_shape(128, 64, 14, 14, 128, 5, 5, 2, 2, 0, 0, 0, 0)},
      {"cifar3", conv_shape(128, 128, 5, 5, 256, 3, 3, 1, 1, 0, 0, 0, 0)},
      {"mnist1", conv_shape(128, 1, 28, 28, 32, 3, 3, 2, 2, 0, 0, 0, 0)},
      {"mnist2", conv_shape(128, 32, 13, 13, 64, 3, 3, 2, 2, 0, 0, 0, 0)},
      {"mnist3", conv_shape(128, 64, 6, 6, 128, 3, 3, 1, 1, 0, 0, 0, 0)},
  };
  return all;
}

std::string describe(const Layer& l) {
  const WindowGeometry& s = l.s;
  char text[96];
  snprintf(text, sizeof text, "%s [%d,%d,%d,%d]*%dx%dx%d /%d,%d p%d,%d", l.name, s.n, s.c, s.h, s.w, s.k, s.kh, s.kw,
           s.stride_h, s.stride_w, s.pad_top, s.pad_left);
  return text;
}

// ---- direct double-precision references, one element at a time ------------------------------------

double ref_y(const WindowGeometry& s, const std::vector<float>& x, const std::vector<float>& w,
             const std::vector<float>& b, int64_t index) {
  const int64_t ox = index % s.ow, oy = index / s.ow % s.oh, k = index / s.positions() % s.k,
                img = index / (s.positions() * s.k);
  double sum = b[k];
  for (int64_t c = 0; c < s.c; ++c)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        const int64_t iy = oy * s.stride_h - s.pad_top + i, ix = ox * s.stride_w - s.pad_left + j;
        if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
        sum += double(x[((img * s.c + c) * s.h + iy) * s.w + ix]) * w[((k * s.c + c) * s.kh + i) * s.kw + j];
      }
  return sum;
}

double ref_dx(const WindowGeometry& s, const std::vector<float>& dy, const std::vector<float>& w, int64_t index) {
  const int64_t ix = index % s.w, iy = index / s.w % s.h, c = index / (int64_t{s.h} * s.w) % s.c,
                img = index / (int64_t{s.h} * s.w * s.c);
  double sum = 0;
  for (int64_t k = 0; k < s.k; ++k)
    for (int64_t i = 0; i < s.kh; ++i)
      for (int64_t j = 0; j < s.kw; ++j) {
        const int64_t ty = iy + s.pad_top - i, tx = ix + s.pad_left - j;  // = oy·stride, ox·stride
        if (ty < 0 || tx < 0 || ty % s.stride_h || tx % s.stride_w) continue;
        const int64_t oy = ty / s.stride_h, ox = tx / s.stride_w;
        if (oy >= s.oh || ox >= s.ow) continue;
        sum += double(dy[((img * s.k + k) * s.oh + oy) * s.ow + ox]) * w[((k * s.c + c) * s.kh + i) * s.kw + j];
      }
  return sum;
}

double ref_dw(const WindowGeometry& s, const std::vector<float>& x, const std::vector<float>& dy, int64_t index) {
  const int64_t j = index % s.kw, i = index / s.kw % s.kh, c = index / (int64_t{s.kh} * s.kw) % s.c,
                k = index / s.patch_size();
  double sum = 0;
  for (int64_t img = 0; img < s.n; ++img)
    for (int64_t oy = 0; oy < s.oh; ++oy)
      for (int64_t ox = 0; ox < s.ow; ++ox) {
        const int64_t iy = oy * s.stride_h - s.pad_top + i, ix = ox * s.stride_w - s.pad_left + j;
        if (iy < 0 || iy >= s.h || ix < 0 || ix >= s.w) continue;
        sum += double(dy[((img * s.k + k) * s.oh + oy) * s.ow + ox]) * x[((img * s.c + c) * s.h + iy) * s.w + ix];
      }
  return sum;
}

double ref_db(const WindowGeometry& s, const std::vector<float>& dy, int64_t k) {
  double sum = 0;
  for (int64_t img = 0; img < s.n; ++img)
    for (int64_t q = 0; q < s.positions(); ++q) sum += dy[(img * s.k + k) * s.positions() + q];
  return sum;
}

// max_error's measure over every element (small outputs) or about 400 sampled ones, first and last
// included.
template <class Ref>
double reference_error(Context& ctx, const std::vector<float>& got, const Ref& ref) {
  const int64_t n = static_cast<int64_t>(got.size());
  std::vector<int64_t> indices;
  if (n <= 4096) {
    for (int64_t i = 0; i < n; ++i) indices.push_back(i);
  } else {
    std::uniform_int_distribution<int64_t> pick(0, n - 1);
    indices = {0, n - 1};
    for (int r = 0; r < 400; ++r) indices.push_back(pick(ctx.rng));
  }
  double worst = 0;
  for (int64_t i : indices) {
    const double expected = ref(i);
    const double e = std::fabs(got[i] - expected) / (std::fabs(expected) + 1.0);
    if (!(e <= worst)) worst = e;
  }
  return worst;
}

constexpr double kTolerance = 1e-4;
// The weight gradient sums batch·oh·ow products (25,088 for CIFAR conv1) in float: a looser bound.
constexpr double kWeightGradTolerance = 5e-4;

// ---- the checks ------------------------------------------------------------------------------------

// Each check computes the CPU twin once; with a GPU it compares every engine path's result with it (one row
// per path, "<op>/<path>", timed), without one it compares the CPU with the double-precision loops.
WSR_CHECK(conv2d_forward) {
  for (const Layer& l : layers()) {
    const WindowGeometry& s = l.s;
    const auto x = random_vector(ctx, s.input_size()), w = random_vector(ctx, s.conv_weight_size()),
               b = random_vector(ctx, s.k);
    std::vector<float> y(static_cast<size_t>(s.output_size()));
    const double cpu_ms = time_ms(ctx, [&] { cpu::conv2d_forward(s, x.data(), w.data(), b.data(), y.data()); });
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer gx(x), gw(w), gb(b);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer gy(y.size()), workspace(std::max<size_t>(cuda::conv2d_forward_workspace(s), 1));
        const double cuda_ms =
            time_ms(ctx, [&] { cuda::conv2d_forward(s, gx.ptr, gw.ptr, gb.ptr, gy.ptr, workspace.ptr); }, cuda_sync);
        report(ctx, "conv2d_forward/" + path, describe(l), cpu_ms, cuda_ms, max_error(gy.to_host(), y), kTolerance);
      });
      continue;
    }
#endif
    const double error = reference_error(ctx, y, [&](int64_t i) { return ref_y(s, x, w, b, i); });
    report(ctx, "conv2d_forward", describe(l), cpu_ms, -1, error, kTolerance);
  }
}

WSR_CHECK(conv2d_backward_input) {
  for (const Layer& l : layers()) {
    const WindowGeometry& s = l.s;
    const auto dy = random_vector(ctx, s.output_size()), w = random_vector(ctx, s.conv_weight_size());
    std::vector<float> dx(static_cast<size_t>(s.input_size()));
    const double cpu_ms = time_ms(ctx, [&] { cpu::conv2d_backward_input(s, dy.data(), w.data(), dx.data()); });
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer gdy(dy), gw(w);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer gdx(dx.size()), workspace(std::max<size_t>(cuda::conv2d_backward_input_workspace(s), 1));
        const double cuda_ms = time_ms(
            ctx, [&] { cuda::conv2d_backward_input(s, gdy.ptr, gw.ptr, gdx.ptr, workspace.ptr); }, cuda_sync);
        report(ctx, "conv2d_backward_input/" + path, describe(l), cpu_ms, cuda_ms, max_error(gdx.to_host(), dx),
               kTolerance);
      });
      continue;
    }
#endif
    const double error = reference_error(ctx, dx, [&](int64_t i) { return ref_dx(s, dy, w, i); });
    report(ctx, "conv2d_backward_input", describe(l), cpu_ms, -1, error, kTolerance);
  }
}

// Reports the worse of the dw and db errors.
WSR_CHECK(conv2d_backward_weight) {
  for (const Layer& l : layers()) {
    const WindowGeometry& s = l.s;
    const auto x = random_vector(ctx, s.input_size()), dy = random_vector(ctx, s.output_size());
    std::vector<float> dw(static_cast<size_t>(s.conv_weight_size())), db(static_cast<size_t>(s.k));
    const double cpu_ms =
        time_ms(ctx, [&] { cpu::conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), db.data()); });
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer gx(x), gdy(dy);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer gdw(dw.size()), gdb(db.size()),
            workspace(std::max<size_t>(cuda::conv2d_backward_weight_workspace(s), 1));
        const double cuda_ms = time_ms(
            ctx, [&] { cuda::conv2d_backward_weight(s, gx.ptr, gdy.ptr, gdw.ptr, gdb.ptr, workspace.ptr); }, cuda_sync);
        const double error = std::max(max_error(gdw.to_host(), dw), max_error(gdb.to_host(), db));
        report(ctx, "conv2d_backward_weight/" + path, describe(l), cpu_ms, cuda_ms, error, kWeightGradTolerance);
      });
      continue;
    }
#endif
    const double error = std::max(reference_error(ctx, dw, [&](int64_t i) { return ref_dw(s, x, dy, i); }),
                                  reference_error(ctx, db, [&](int64_t k) { return ref_db(s, dy, k); }));
    report(ctx, "conv2d_backward_weight", describe(l), cpu_ms, -1, error, kWeightGradTolerance);
  }
}

}  // namespace
}  // namespace wsr::check
