// Checks and times the filter divergence metrics (cpu/distance.h, cuda/distance.h): CUDA against
// the CPU when a GPU is usable, else the CPU against the PROTOCOL's definition computed directly
// in double. Weights are one tiled bank plus 10% noise, like an LC layer some epochs after
// conversion (small distances: the norm/dot-product expansion is at its least accurate there).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "check.h"
#include "cpu/distance.h"
#ifdef WSR_WITH_CUDA
#include "cuda/distance.h"
#endif

namespace {

using namespace wsr::check;

struct GridCase {
  const char* label;
  int64_t oh, ow, bank;
  std::vector<int64_t> radii;
};
const GridCase kCases[] = {
    {"5x7 bank 12 r=1,2,3", 5, 7, 12, {1, 2, 3}},  // r = 3 has no centre: NaN on both sides
    {"LC1 14x14 bank 4800 r=1,4", 14, 14, 64 * 3 * 5 * 5, {1, 4}},
    {"LC2 5x5 bank 204800 r=1,2", 5, 5, 128 * 64 * 5 * 5, {1, 2}},
};

// max_error where NaN matches NaN (and NaN against a number is infinitely wrong).
double max_error_nan(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> x = a, y = b;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) x[i] = y[i] = 0;
  }
  return max_error(x, y);
}

std::vector<float> drifted_weight(Context& ctx, const GridCase& c) {
  const std::vector<float> bank = random_vector(ctx, c.bank);
  std::vector<float> w = random_vector(ctx, c.oh * c.ow * c.bank, -0.1f, 0.1f);
  for (size_t i = 0; i < w.size(); ++i) w[i] += bank[i % c.bank];
  return w;
}

// The definition, plainly: normalise by the Frobenius norm, loop over centres and ring offsets.
std::vector<float> local_reference(const std::vector<float>& w, const GridCase& c) {
  double frobenius2 = 0;
  for (float x : w) frobenius2 += double(x) * x;
  const double scale = 1 / std::sqrt(frobenius2);
  std::vector<float> out;
  for (int64_t r : c.radii) {
    double dist = 0, cos = 0;
    int64_t pairs = 0;
    for (int64_t i = r; i < c.oh - r; ++i)
      for (int64_t j = r; j < c.ow - r; ++j)
        for (int64_t a = -r; a <= r; ++a)
          for (int64_t b = -r; b <= r; ++b) {
            if (std::max(std::llabs(a), std::llabs(b)) != r) continue;
            const float* x = &w[(i * c.ow + j) * c.bank];
            const float* y = &w[((i + a) * c.ow + (j + b)) * c.bank];
            double d2 = 0, dot = 0, nx = 0, ny = 0;
            for (int64_t k = 0; k < c.bank; ++k) {
              const double xs = x[k] * scale, ys = y[k] * scale;
              d2 += (xs - ys) * (xs - ys);
              dot += xs * ys;
              nx += xs * xs;
              ny += ys * ys;
            }
            dist += std::sqrt(d2);
            cos += 1 - dot / std::sqrt(nx * ny);
            pairs++;
          }
    out.push_back(pairs ? float(dist / pairs) : NAN);
    out.push_back(pairs ? float(cos / pairs) : NAN);
  }
  return out;
}

std::vector<float> reference_reference(const std::vector<float>& w, const std::vector<float>& ref, const GridCase& c) {
  const int64_t positions = c.oh * c.ow;
  double ref2 = 0;
  for (float y : ref) ref2 += double(y) * y;
  std::vector<float> out(2 * positions);
  for (int64_t p = 0; p < positions; ++p) {
    double d2 = 0, dot = 0, n2 = 0;
    for (int64_t k = 0; k < c.bank; ++k) {
      const double x = w[p * c.bank + k], y = ref[k];
      d2 += (x - y) * (x - y);
      dot += x * y;
      n2 += x * x;
    }
    out[p] = float(std::sqrt(d2 / ref2));
    out[positions + p] = float(1 - dot / std::sqrt(n2 * ref2));
  }
  return out;
}

}  // namespace

WSR_CHECK(distance_local) {
  for (const GridCase& c : kCases) {
    const wsr::FilterGrid grid{c.oh, c.ow, c.bank};
    const wsr::RingLayout layout = wsr::ring_layout(grid, c.radii.data(), int(c.radii.size()));
    const std::vector<float> w = drifted_weight(ctx, c);
    std::vector<float> out(2 * c.radii.size());
    wsr::cpu::local_distances(w.data(), grid, layout, out.data());
    double error = 0, cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer dw(w), dout(out.size());
      DeviceBuffer workspace(size_t(2 * wsr::local_distances_workspace_doubles(grid, layout)));  // doubles
      double* ws = reinterpret_cast<double*>(workspace.ptr);
      wsr::cuda::local_distances(dw.ptr, grid, layout, ws, dout.ptr);
      error = max_error_nan(dout.to_host(), out);
      cuda_ms = time_ms(ctx, [&] { wsr::cuda::local_distances(dw.ptr, grid, layout, ws, dout.ptr); }, cuda_sync);
    }
#endif
    if (!ctx.cuda) error = max_error_nan(out, local_reference(w, c));
    const double cpu_ms = time_ms(ctx, [&] { wsr::cpu::local_distances(w.data(), grid, layout, out.data()); });
    report(ctx, "local_distances", c.label, cpu_ms, cuda_ms, error, 1e-5);
  }
}

WSR_CHECK(distance_reference) {
  for (const GridCase& c : kCases) {
    const wsr::FilterGrid grid{c.oh, c.ow, c.bank};
    const std::vector<float> w = drifted_weight(ctx, c);
    const std::vector<float> ref = random_vector(ctx, c.bank);
    std::vector<float> out(2 * c.oh * c.ow);
    wsr::cpu::reference_distances(w.data(), ref.data(), grid, out.data());
    double error = 0, cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer dw(w), dref(ref), dout(out.size());
      wsr::cuda::reference_distances(dw.ptr, dref.ptr, grid, dout.ptr);
      error = max_error(dout.to_host(), out);
      cuda_ms = time_ms(ctx, [&] { wsr::cuda::reference_distances(dw.ptr, dref.ptr, grid, dout.ptr); }, cuda_sync);
    }
#endif
    if (!ctx.cuda) error = max_error(out, reference_reference(w, ref, c));
    const double cpu_ms = time_ms(ctx, [&] { wsr::cpu::reference_distances(w.data(), ref.data(), grid, out.data()); });
    report(ctx, "reference_distances", c.label, cpu_ms, cuda_ms, error, 1e-5);
  }
}
