// Elementwise helpers: CUDA against the CPU kernels (or, without a GPU, the CPU kernels against
// direct double-precision loops), at a small odd size and the paper's parameter counts.
#include <string>

#include "check.h"
#include "cpu/elementwise.h"
#ifdef WSR_WITH_CUDA
#include "cuda/elementwise.h"
#endif

using namespace wsr;
using namespace wsr::check;

namespace {

// A small odd size; the CIFAR CNN's and its locally connected twin's parameter counts.
const int64_t kSizes[] = {1001, 2875530, 11103626};

}  // namespace

// One optimiser-like step over a parameter vector: g = 0.5 (fill), g *= 0.9 (scale), p += -1e-3·g
// (axpy); the check compares p.
WSR_CHECK(elementwise_fill_scale_axpy) {
  for (const int64_t n : kSizes) {
    const auto p0 = random_vector(ctx, n);
    std::vector<float> p = p0, g(n);
    auto cpu_step = [&] {
      cpu::fill(n, 0.5f, g.data());
      cpu::scale(n, 0.9f, g.data());
      cpu::axpy(n, -1e-3f, g.data(), p.data());
    };
    const double cpu_ms = time_ms(ctx, cpu_step);
    const int steps = ctx.reps + 1;  // time_ms runs the step reps + 1 times (one warm-up)
    double cuda_ms = -1, error = 0;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_p(p0), d_g(g.size());
      cuda_ms = time_ms(ctx, [&] {
        cuda::fill(n, 0.5f, d_g.ptr);
        cuda::scale(n, 0.9f, d_g.ptr);
        cuda::axpy(n, -1e-3f, d_g.ptr, d_p.ptr);
      }, cuda_sync);
      error = max_error(d_p.to_host(), p);
    }
#endif
    if (cuda_ms < 0) {
      std::vector<float> ref(n);
      for (int64_t i = 0; i < n; ++i) {
        float v = p0[i];
        for (int s = 0; s < steps; ++s) v += -1e-3f * (0.5f * 0.9f);  // float, as the kernels round each step
        ref[i] = v;
      }
      error = max_error(p, ref);
    }
    report(ctx, "fill+scale+axpy", "n=" + std::to_string(n), cpu_ms, cuda_ms, error, 1e-6);
  }
}

WSR_CHECK(elementwise_sum) {
  for (const int64_t n : kSizes) {
    const auto x = random_vector(ctx, n, -1.f, 3.f);
    std::vector<float> sums(2);
    const double cpu_ms = time_ms(ctx, [&] {
      cpu::sum(n, x.data(), &sums[0]);
      cpu::sum_squares(n, x.data(), &sums[1]);
    });
    double cuda_ms = -1, error = 0;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer d_x(x), d_sums(2);
      cuda_ms = time_ms(ctx, [&] {
        cuda::sum(n, d_x.ptr, d_sums.ptr);
        cuda::sum_squares(n, d_x.ptr, d_sums.ptr + 1);
      }, cuda_sync);
      error = max_error(d_sums.to_host(), sums);
    }
#endif
    if (cuda_ms < 0) {
      double s = 0, s2 = 0;
      for (float v : x) {
        s += v;
        s2 += double(v) * v;
      }
      error = max_error(sums, {float(s), float(s2)});
    }
    // CUDA adds up to 1024 block totals into a float with atomics, each rounding at the total's
    // magnitude: allow a few units in the last place more than the CPU's single double rounding.
    report(ctx, "sum+sum_squares", "n=" + std::to_string(n), cpu_ms, cuda_ms, error, cuda_ms < 0 ? 1e-6 : 2e-5);
  }
}
