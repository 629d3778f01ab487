// Locally connected layer: CUDA against the CPU kernels (when a GPU is usable: every engine path, split
// reductions on and off, one row each), the CPU kernels against direct double-precision sums (every
// element on the small shapes, a sample on the paper's layers), and timings of both, for forward, both
// gradients and the conversions.
#include <string>

#include "check.h"
#include "cpu/local.h"
#ifdef WSR_WITH_CUDA
#include "cuda/local.h"
#endif

namespace wsr::check {
namespace {

constexpr double kTolerance = 1e-4;  // max |a-b| / (|b|+1) for float32 sums of up to 1600 products
constexpr int64_t kSamples = 3000;   // reference points checked on the large shapes

struct Layer {
  const char* name;
  WindowGeometry s;
};

Layer layer(const char* name, int n, int c, int h, int w, int k, int kh, int kw, int stride_h, int stride_w,
            int pad_top, int pad_bottom, int pad_left, int pad_right) {
  WindowGeometry s{n, c, h, w, k, kh, kw, stride_h, stride_w, pad_top, pad_left, 0, 0};
  s.oh = (h + pad_top + pad_bottom - kh) / stride_h + 1;
  s.ow = (w + pad_left + pad_right - kw) / stride_w + 1;
  return {name, s};
}

// Small edge shapes (asymmetric padding, rectangular kernel, unequal strides, 1x1, two tiles each way)
// and the paper's CIFAR layers at batch 128 (32x32x3 -> 14x14x64 -> 5x5x128 -> 3x3x256) and MNIST's.
const Layer kLayers[] = {
    layer("odd", 3, 5, 11, 9, 7, 3, 4, 2, 1, 1, 2, 2, 1),
    layer("1x1", 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0),
    layer("k70 n130", 130, 3, 4, 5, 70, 2, 3, 2, 1, 1, 0, 0, 1),  // row and column tiles, stride != kernel
    layer("LC1", 128, 3, 32, 32, 64, 5, 5, 2, 2, 0, 0, 0, 0),
    layer("LC2", 128, 64, 14, 14, 128, 5, 5, 2, 2, 0, 0, 0, 0),
    layer("LC3", 128, 128, 5, 5, 256, 3, 3, 1, 1, 0, 0, 0, 0),
    layer("mnist LC1", 128, 1, 28, 28, 32, 3, 3, 2, 2, 0, 0, 0, 0),
    layer("mnist LC2", 128, 32, 13, 13, 64, 3, 3, 2, 2, 0, 0, 0, 0),
    layer("mnist LC3", 128, 64, 6, 6, 128, 3, 3, 1, 1, 0, 0, 0, 0),
};

std::string describe(const Layer& l) {
  const WindowGeometry& s = l.s;
  return std::string(l.name) + " " + std::to_string(s.n) + "x" + std::to_string(s.c) + "x" + std::to_string(s.h) +
         "x" + std::to_string(s.w) + " k" + std::to_string(s.k) + " " + std::to_string(s.kh) + "x" +
         std::to_string(s.kw) + "/" + std::to_string(s.stride_h) + " ->" + std::to_string(s.oh) + "x" +
         std::to_string(s.ow);
}

// Indices to check against the double reference: all of them when few, else a random sample.
std::vector<int64_t> sample(Context& ctx, int64_t size) {
  std::vector<int64_t> at;
  if (size <= kSamples) {
    for (int64_t i = 0; i < size; ++i) at.push_back(i);
  } else {
    std::uniform_int_distribution<int64_t> pick(0, size - 1);
    at.push_back(0);
    at.push_back(size - 1);
    while (static_cast<int64_t>(at.size()) < kSamples) at.push_back(pick(ctx.rng));
  }
  return at;
}

// Largest error of `got` against `reference(i)` at the sampled indices.
template <class Reference>
double error_at(const std::vector<int64_t>& at, const std::vector<float>& got, Reference reference) {
  std::vector<float> a, b;
  for (int64_t i : at) {
    a.push_back(got[i]);
    b.push_back(static_cast<float>(reference(i)));
  }
  return max_error(a, b);
}

// Input value under tap (c, ki, kj) of image n's window at position (oi, oj), 0 in the padding.
double input_at(const WindowGeometry& s, const std::vector<float>& x, int64_t n, int c, int oi, int oj, int ki, int kj) {
  const int ih = oi * s.stride_h - s.pad_top + ki, iw = oj * s.stride_w - s.pad_left + kj;
  if (ih < 0 || ih >= s.h || iw < 0 || iw >= s.w) return 0.0;
  return x[((n * s.c + c) * s.h + ih) * int64_t{s.w} + iw];
}

int64_t weight_index(const WindowGeometry& s, int64_t p, int k, int c, int ki, int kj) {
  return (((p * s.k + k) * s.c + c) * s.kh + ki) * int64_t{s.kw} + kj;
}

// y[n, k, p] directly.
double ref_forward(const WindowGeometry& s, const std::vector<float>& x, const std::vector<float>& w,
                   const std::vector<float>& b, int64_t index) {
  const int64_t P = s.positions(), p = index % P, nk = index / P;
  const int k = static_cast<int>(nk % s.k);
  const int64_t n = nk / s.k;
  const int oi = static_cast<int>(p / s.ow), oj = static_cast<int>(p % s.ow);
  double sum = b[p * s.k + k];
  for (int c = 0; c < s.c; ++c)
    for (int ki = 0; ki < s.kh; ++ki)
      for (int kj = 0; kj < s.kw; ++kj) sum += double(w[weight_index(s, p, k, c, ki, kj)]) * input_at(s, x, n, c, oi, oj, ki, kj);
  return sum;
}

// dx[n, c, ih, iw] directly: every position whose window covers the pixel, every filter.
double ref_backward_input(const WindowGeometry& s, const std::vector<float>& dy, const std::vector<float>& w, int64_t index) {
  const int iw = static_cast<int>(index % s.w), ih = static_cast<int>(index / s.w % s.h);
  const int c = static_cast<int>(index / (int64_t{s.w} * s.h) % s.c);
  const int64_t n = index / (int64_t{s.w} * s.h * s.c), P = s.positions();
  double sum = 0;
  for (int oi = 0; oi < s.oh; ++oi)
    for (int oj = 0; oj < s.ow; ++oj) {
      const int ki = ih + s.pad_top - oi * s.stride_h, kj = iw + s.pad_left - oj * s.stride_w;
      if (ki < 0 || ki >= s.kh || kj < 0 || kj >= s.kw) continue;
      const int64_t p = int64_t{oi} * s.ow + oj;
      for (int k = 0; k < s.k; ++k) sum += double(dy[(n * s.k + k) * P + p]) * w[weight_index(s, p, k, c, ki, kj)];
    }
  return sum;
}

// dw[p, k, c, ki, kj] directly: a sum over the batch.
double ref_backward_weight(const WindowGeometry& s, const std::vector<float>& x, const std::vector<float>& dy, int64_t index) {
  const int kj = static_cast<int>(index % s.kw), ki = static_cast<int>(index / s.kw % s.kh);
  const int c = static_cast<int>(index / (int64_t{s.kw} * s.kh) % s.c);
  const int k = static_cast<int>(index / s.patch_size() % s.k);
  const int64_t p = index / s.conv_weight_size(), P = s.positions();
  const int oi = static_cast<int>(p / s.ow), oj = static_cast<int>(p % s.ow);
  double sum = 0;
  for (int64_t n = 0; n < s.n; ++n) sum += double(dy[(n * s.k + k) * P + p]) * input_at(s, x, n, c, oi, oj, ki, kj);
  return sum;
}

double ref_bias_grad(const WindowGeometry& s, const std::vector<float>& dy, int64_t index) {
  const int64_t p = index / s.k, k = index % s.k, P = s.positions();
  double sum = 0;
  for (int64_t n = 0; n < s.n; ++n) sum += dy[(n * s.k + k) * P + p];
  return sum;
}

void report_row(Context& ctx, const char* op, const Layer& l, double cpu_ms, double cuda_ms, double error,
                double tolerance = kTolerance) {
  report(ctx, op, describe(l), cpu_ms, cuda_ms, error, tolerance);
}

}  // namespace

WSR_CHECK(local_forward) {
  for (const Layer& l : kLayers) {
    const WindowGeometry& s = l.s;
    const auto x = random_vector(ctx, s.input_size());
    const auto w = random_vector(ctx, s.local_weight_size());
    const auto b = random_vector(ctx, s.positions() * s.k);
    std::vector<float> y(s.output_size());
    const double cpu_ms = time_ms(ctx, [&] { cpu::local2d_forward(s, x.data(), w.data(), b.data(), y.data()); });
    double error = error_at(sample(ctx, s.output_size()), y, [&](int64_t i) { return ref_forward(s, x, w, b, i); });
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer dx(x), dw(w), db(b);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer dy(y.size()), workspace(cuda::local2d_forward_workspace(s));
        const double cuda_ms =
            time_ms(ctx, [&] { cuda::local2d_forward(s, dx.ptr, dw.ptr, db.ptr, dy.ptr, workspace.ptr); }, cuda_sync);
        report_row(ctx, ("local2d_forward/" + path).c_str(), l, cpu_ms, cuda_ms, std::max(error, max_error(dy.to_host(), y)));
      });
      continue;
    }
#endif
    report_row(ctx, "local2d_forward", l, cpu_ms, -1, error);
  }
}

WSR_CHECK(local_backward_input) {
  for (const Layer& l : kLayers) {
    const WindowGeometry& s = l.s;
    const auto dy = random_vector(ctx, s.output_size());
    const auto w = random_vector(ctx, s.local_weight_size());
    std::vector<float> dx(s.input_size());
    const double cpu_ms = time_ms(ctx, [&] { cpu::local2d_backward_input(s, dy.data(), w.data(), dx.data()); });
    double error = error_at(sample(ctx, s.input_size()), dx, [&](int64_t i) { return ref_backward_input(s, dy, w, i); });
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_dy(dy), d_w(w);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer d_dx(dx.size()), workspace(cuda::local2d_backward_input_workspace(s));
        const double cuda_ms = time_ms(
            ctx, [&] { cuda::local2d_backward_input(s, d_dy.ptr, d_w.ptr, d_dx.ptr, workspace.ptr); }, cuda_sync);
        report_row(ctx, ("local2d_backward_input/" + path).c_str(), l, cpu_ms, cuda_ms,
                   std::max(error, max_error(d_dx.to_host(), dx)));
      });
      continue;
    }
#endif
    report_row(ctx, "local2d_backward_input", l, cpu_ms, -1, error);
  }
}

WSR_CHECK(local_backward_weight) {
  for (const Layer& l : kLayers) {
    const WindowGeometry& s = l.s;
    const auto x = random_vector(ctx, s.input_size());
    const auto dy = random_vector(ctx, s.output_size());
    std::vector<float> dw(s.local_weight_size()), db(s.positions() * s.k);
    const double cpu_ms = time_ms(ctx, [&] { cpu::local2d_backward_weight(s, x.data(), dy.data(), dw.data(), db.data()); });
    double error = error_at(sample(ctx, s.local_weight_size()), dw, [&](int64_t i) { return ref_backward_weight(s, x, dy, i); });
    error = std::max(error, error_at(sample(ctx, s.positions() * s.k), db, [&](int64_t i) { return ref_bias_grad(s, dy, i); }));
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_x(x), d_dy(dy);
      for_each_engine_path([&](const std::string& path) {
        DeviceBuffer d_dw(dw.size()), d_db(db.size()), workspace(cuda::local2d_backward_weight_workspace(s));
        const double cuda_ms = time_ms(
            ctx, [&] { cuda::local2d_backward_weight(s, d_x.ptr, d_dy.ptr, d_dw.ptr, d_db.ptr, workspace.ptr); },
            cuda_sync);
        report_row(ctx, ("local2d_backward_weight/" + path).c_str(), l, cpu_ms, cuda_ms,
                   std::max({error, max_error(d_dw.to_host(), dw), max_error(d_db.to_host(), db)}));
      });
      continue;
    }
#endif
    report_row(ctx, "local2d_backward_weight", l, cpu_ms, -1, error);
  }
}

// Conversions are copies and a double-precision mean: CPU and CUDA must agree exactly.
WSR_CHECK(local_conversions) {
  for (const Layer& l : kLayers) {
    const WindowGeometry& s = l.s;
    const int64_t P = s.positions(), bank = s.conv_weight_size();
    const auto conv_w = random_vector(ctx, bank);
    const auto conv_b = random_vector(ctx, s.k);
    std::vector<float> local_w(P * bank), local_b(P * s.k);
    const double tile_ms = time_ms(ctx, [&] {
      cpu::conv_to_local(P, bank, s.k, conv_w.data(), conv_b.data(), local_w.data(), local_b.data());
    });
    double tile_error = error_at(sample(ctx, P * bank), local_w, [&](int64_t i) { return conv_w[i % bank]; });
    tile_error = std::max(tile_error, error_at(sample(ctx, P * s.k), local_b, [&](int64_t i) { return conv_b[i % s.k]; }));

    const auto drifted = random_vector(ctx, P * bank);  // banks that differ per position
    std::vector<float> mean_w(bank), back_w(bank), back_b(s.k);
    const double mean_ms = time_ms(ctx, [&] { cpu::local_to_conv(P, bank, s.k, drifted.data(), nullptr, mean_w.data(), nullptr); });
    double mean_error = error_at(sample(ctx, bank), mean_w, [&](int64_t i) {
      double sum = 0;
      for (int64_t p = 0; p < P; ++p) sum += drifted[p * bank + i];
      return sum / static_cast<double>(P);
    });
    // The round trip conv -> local -> conv gives the conv weight back bit for bit.
    cpu::local_to_conv(P, bank, s.k, local_w.data(), local_b.data(), back_w.data(), back_b.data());
    mean_error = std::max({mean_error, max_error(back_w, conv_w), max_error(back_b, conv_b)});

    double tile_cuda_ms = -1, mean_cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_cw(conv_w), d_cb(conv_b), d_lw(local_w.size()), d_lb(local_b.size()), d_drifted(drifted),
          d_mean(mean_w.size());
      tile_cuda_ms = time_ms(ctx, [&] { cuda::conv_to_local(P, bank, s.k, d_cw.ptr, d_cb.ptr, d_lw.ptr, d_lb.ptr); }, cuda_sync);
      tile_error = std::max({tile_error, max_error(d_lw.to_host(), local_w), max_error(d_lb.to_host(), local_b)});
      mean_cuda_ms = time_ms(ctx, [&] { cuda::local_to_conv(P, bank, s.k, d_drifted.ptr, nullptr, d_mean.ptr, nullptr); }, cuda_sync);
      mean_error = std::max(mean_error, max_error(d_mean.to_host(), mean_w));
    }
#endif
    report_row(ctx, "conv_to_local", l, tile_ms, tile_cuda_ms, tile_error, 0.0);
    report_row(ctx, "local_to_conv", l, mean_ms, mean_cuda_ms, mean_error, 1e-7);
  }
}

}  // namespace wsr::check
