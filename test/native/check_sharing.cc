// Degrees of weight sharing (cpu/sharing.h, cuda/sharing.h): re-tying toward the mean bank, the
// soft-tying penalty and input masks. The CPU kernels against the definitions computed directly in
// double, always; with a usable GPU also CUDA against the CPU, which must agree bit for bit (both
// follow common/sharing_math.h's order of every sum). Timings of both on the paper's LC layers.
#include <cmath>
#include <string>
#include <vector>

#include "check.h"
#include "cpu/sharing.h"
#ifdef WSR_WITH_CUDA
#include "cuda/sharing.h"
#endif

namespace wsr::check {
namespace {

constexpr double kTolerance = 1e-6;  // max |a-b| / (|b|+1) against the double definitions

struct LayerCase {
  const char* name;
  int64_t oh, ow, k, c, kh, kw;
  int64_t bank() const { return k * c * kh * kw; }
  int64_t positions() const { return oh * ow; }
};

// Awkward shapes (one position, one filter, a bank across two tiles with the bias in the second) and the
// CIFAR net's three LC layers (14x14x64 of 3x5x5, 5x5x128 of 64x5x5, 3x3x256 of 128x3x3).
const LayerCase kLayers[] = {
    {"odd 3x5 k2 c3 1x3", 3, 5, 2, 3, 1, 3},
    {"one position", 1, 1, 4, 3, 2, 2},
    {"k1 c1 1x1", 2, 3, 1, 1, 1, 1},
    {"bank 126 + bias 3", 4, 3, 3, 7, 2, 3},
    {"LC1", 14, 14, 64, 3, 5, 5},
    {"LC2", 5, 5, 128, 64, 5, 5},
    {"LC3", 3, 3, 256, 128, 3, 3},
};

std::string describe(const LayerCase& l) {
  return std::string(l.name) + " " + std::to_string(l.oh) + "x" + std::to_string(l.ow) + " bank " +
         std::to_string(l.bank());
}

// Means over positions of a [positions, size] matrix, in double.
std::vector<double> means(const std::vector<float>& x, int64_t positions, int64_t size) {
  std::vector<double> m(static_cast<size_t>(size), 0.0);
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < size; ++i) m[i] += x[p * size + i];
  for (double& v : m) v /= static_cast<double>(positions);
  return m;
}

// (1 − α)·x + α·mean per element, in double.
std::vector<float> tied_reference(const std::vector<float>& x, int64_t positions, int64_t size, double strength) {
  const std::vector<double> m = means(x, positions, size);
  std::vector<float> out(x.size());
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < size; ++i)
      out[p * size + i] = static_cast<float>((1 - strength) * x[p * size + i] + strength * m[i]);
  return out;
}

// dx + λ·(x − mean) per element; adds Σ (x − mean)² to *squares.
std::vector<float> penalty_reference(const std::vector<float>& x, const std::vector<float>& dx, int64_t positions,
                                     int64_t size, double lambda, double* squares) {
  const std::vector<double> m = means(x, positions, size);
  std::vector<float> out(x.size());
  for (int64_t p = 0; p < positions; ++p)
    for (int64_t i = 0; i < size; ++i) {
      const double d = x[p * size + i] - m[i];
      *squares += d * d;
      out[p * size + i] = static_cast<float>(dx[p * size + i] + lambda * d);
    }
  return out;
}

double relative_error(double a, double b) { return std::fabs(a - b) / (std::fabs(b) + 1e-30); }

}  // namespace

WSR_CHECK(sharing_tie) {
  for (const LayerCase& l : kLayers) {
    const int64_t P = l.positions(), bank = l.bank();
    const std::vector<float> w0 = random_vector(ctx, P * bank), b0 = random_vector(ctx, P * l.k);
    double error = 0, cpu_ms = 0, cuda_ms = -1;
    for (const double strength : {0.3, 1.0}) {
      std::vector<float> w = w0, b = b0;
      cpu::tie_local(P, bank, l.k, w.data(), b.data(), strength);
      error = std::max({error, max_error(w, tied_reference(w0, P, bank, strength)),
                        max_error(b, tied_reference(b0, P, l.k, strength))});
      if (strength == 1.0) {  // every position exactly the mean, rounded once
        const std::vector<double> m = means(w0, P, bank);
        for (int64_t i = 0; i < P * bank; ++i)
          if (w[i] != static_cast<float>(m[i % bank])) error = std::max(error, 1.0);
      }
#ifdef WSR_WITH_CUDA
      if (ctx.cuda) {
        DeviceBuffer dw(w0), db(b0);
        cuda::tie_local(P, bank, l.k, dw.ptr, db.ptr, strength);
        if (dw.to_host() != w || db.to_host() != b) error = std::max({error, 1.0, max_error(dw.to_host(), w)});
        cuda_ms = time_ms(ctx, [&] { cuda::tie_local(P, bank, l.k, dw.ptr, db.ptr, strength); }, cuda_sync);
      }
#endif
      cpu_ms = time_ms(ctx, [&] { cpu::tie_local(P, bank, l.k, w.data(), b.data(), strength); });
    }
    // Strength 0 changes nothing.
    std::vector<float> w = w0, b = b0;
    cpu::tie_local(P, bank, l.k, w.data(), b.data(), 0.0);
    if (w != w0 || b != b0) error = std::max(error, 1.0);
    report(ctx, "tie_local", describe(l), cpu_ms, cuda_ms, error, kTolerance);
  }
}

WSR_CHECK(sharing_penalty) {
  for (const LayerCase& l : kLayers) {
    const int64_t P = l.positions(), bank = l.bank();
    const double lambda = 0.37;
    const std::vector<float> w = random_vector(ctx, P * bank), b = random_vector(ctx, P * l.k);
    const std::vector<float> dw0 = random_vector(ctx, P * bank), db0 = random_vector(ctx, P * l.k);
    const float stats0 = 1.25f;
    std::vector<float> dw = dw0, db = db0, stats{stats0};
    cpu::tie_penalty_backward(P, bank, l.k, w.data(), b.data(), dw.data(), db.data(), lambda, stats.data());
    double squares = 0;
    const std::vector<float> dw_ref = penalty_reference(w, dw0, P, bank, lambda, &squares);
    const std::vector<float> db_ref = penalty_reference(b, db0, P, l.k, lambda, &squares);
    const double value = stats0 + 0.5 * lambda * squares;
    double error = std::max({max_error(dw, dw_ref), max_error(db, db_ref), relative_error(stats[0], value)});
    double cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_w(w), d_b(b), d_dw(dw0), d_db(db0), d_stats(std::vector<float>{stats0});
      DeviceBuffer workspace(static_cast<size_t>(2 * penalty_workspace_doubles(bank, l.k, true)));  // doubles
      double* ws = reinterpret_cast<double*>(workspace.ptr);
      cuda::tie_penalty_backward(P, bank, l.k, d_w.ptr, d_b.ptr, d_dw.ptr, d_db.ptr, lambda, d_stats.ptr, ws);
      if (d_dw.to_host() != dw || d_db.to_host() != db || d_stats.to_host() != stats)
        error = std::max({error, 1.0, max_error(d_dw.to_host(), dw), max_error(d_stats.to_host(), stats)});
      cuda_ms = time_ms(ctx, [&] {
        cuda::tie_penalty_backward(P, bank, l.k, d_w.ptr, d_b.ptr, d_dw.ptr, d_db.ptr, lambda, d_stats.ptr, ws);
      }, cuda_sync);
    }
#endif
    const double cpu_ms = time_ms(ctx, [&] {
      cpu::tie_penalty_backward(P, bank, l.k, w.data(), b.data(), dw.data(), db.data(), lambda, stats.data());
    });
    report(ctx, "tie_penalty_backward", describe(l), cpu_ms, cuda_ms, error, kTolerance);
  }
}

WSR_CHECK(sharing_mask) {
  struct MaskCase {
    const char* name;
    int64_t n, sample;
  };
  const MaskCase cases[] = {{"batch 1 x 7", 1, 7}, {"3 x 1", 3, 1}, {"128 x 3x32x32", 128, 3 * 32 * 32},
                            {"128 x 64x14x14", 128, 64 * 14 * 14}};
  for (const MaskCase& c : cases) {
    const std::vector<float> x = random_vector(ctx, c.n * c.sample);
    std::vector<float> mask = random_vector(ctx, c.sample);
    for (float& m : mask) m = m < 0 ? 0.f : 1.f;
    std::vector<float> out(x.size()), in_place = x;
    cpu::mask_inputs(c.n, c.sample, x.data(), mask.data(), out.data());
    cpu::mask_inputs(c.n, c.sample, in_place.data(), mask.data(), in_place.data());
    std::vector<float> expected(x.size());
    for (int64_t i = 0; i < c.n * c.sample; ++i) expected[i] = x[i] * mask[i % c.sample];
    double error = std::max(max_error(out, expected), out == expected && in_place == expected ? 0.0 : 1.0);
    double cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_x(x), d_mask(mask), d_out(x.size());
      cuda::mask_inputs(c.n, c.sample, d_x.ptr, d_mask.ptr, d_out.ptr);
      if (d_out.to_host() != expected) error = std::max(error, 1.0);
      cuda_ms = time_ms(ctx, [&] { cuda::mask_inputs(c.n, c.sample, d_x.ptr, d_mask.ptr, d_out.ptr); }, cuda_sync);
    }
#endif
    const double cpu_ms = time_ms(ctx, [&] { cpu::mask_inputs(c.n, c.sample, x.data(), mask.data(), out.data()); });
    report(ctx, "mask_inputs", c.name, cpu_ms, cuda_ms, error, 0.0);
  }
}

}  // namespace wsr::check
