// Checks and times the fused optimizer updates (cpu/optim.h, cuda/optim.h): CUDA against the CPU
// when a GPU is usable, else the CPU against a double-precision loop. Shapes: a small odd tensor,
// the paper's LC1 weight, and every parameter of the CIFAR FCN as one flat tensor.
#include <string>
#include <vector>

#include "check.h"
#include "cpu/optim.h"
#ifdef WSR_WITH_CUDA
#include "cuda/optim.h"
#endif

namespace {

using namespace wsr::check;

struct OptimCase {
  const char* label;
  int64_t count;
};
const OptimCase kCases[] = {
    {"n=1001", 1001},
    {"LC1 weight n=940800", 14 * 14 * 64 * 3 * 5 * 5},
    {"CIFAR FCN params n=11103626", 11103626},
};

double max_of(double a, double b) { return (a >= b || a != a) ? a : b; }

// One SGD step in double, straight from the definition.
void sgd_reference(std::vector<double>& p, const std::vector<float>& g, std::vector<double>& v, double lr, double mu,
                   bool nesterov, double wd) {
  for (size_t i = 0; i < p.size(); ++i) {
    const double gi = g[i] + wd * p[i];
    double step = gi;
    if (mu != 0) {
      v[i] = mu * v[i] + gi;
      step = nesterov ? gi + mu * v[i] : v[i];
    }
    p[i] -= lr * step;
  }
}

void adam_reference(std::vector<double>& p, const std::vector<float>& g, std::vector<double>& m,
                    std::vector<double>& v, double lr, double b1, double b2, double eps, int64_t t, double wd) {
  for (size_t i = 0; i < p.size(); ++i) {
    const double gi = g[i] + wd * p[i];
    m[i] = b1 * m[i] + (1 - b1) * gi;
    v[i] = b2 * v[i] + (1 - b2) * gi * gi;
    const double m_hat = m[i] / (1 - std::pow(b1, double(t))), v_hat = v[i] / (1 - std::pow(b2, double(t)));
    p[i] -= lr * m_hat / (std::sqrt(v_hat) + eps);
  }
}

std::vector<float> to_float(const std::vector<double>& x) { return std::vector<float>(x.begin(), x.end()); }
std::vector<double> to_double(const std::vector<float>& x) { return std::vector<double>(x.begin(), x.end()); }

}  // namespace

WSR_CHECK(optim_sgd_update) {
  const double lr = 0.01, mu = 0.9, wd = 5e-4;
  for (const bool nesterov : {false, true}) {
    const wsr::SgdConfig config{float(lr), float(mu), float(wd), nesterov};
    for (const OptimCase& c : kCases) {
      const std::vector<float> p0 = random_vector(ctx, c.count), g = random_vector(ctx, c.count),
                               v0 = random_vector(ctx, c.count, -0.1f, 0.1f);
      std::vector<float> p = p0, v = v0;
      wsr::cpu::sgd_update(p.data(), g.data(), v.data(), c.count, config);
      double error = 0, cuda_ms = -1;
#ifdef WSR_WITH_CUDA
      if (ctx.cuda) {
        DeviceBuffer dp(p0), dg(g), dv(v0);
        wsr::cuda::sgd_update(dp.ptr, dg.ptr, dv.ptr, c.count, config);
        error = max_of(max_error(dp.to_host(), p), max_error(dv.to_host(), v));
        cuda_ms = time_ms(ctx, [&] { wsr::cuda::sgd_update(dp.ptr, dg.ptr, dv.ptr, c.count, config); }, cuda_sync);
      }
#endif
      if (!ctx.cuda) {
        std::vector<double> pr = to_double(p0), vr = to_double(v0);
        sgd_reference(pr, g, vr, lr, mu, nesterov, wd);
        error = max_of(max_error(p, to_float(pr)), max_error(v, to_float(vr)));
      }
      const double cpu_ms = time_ms(ctx, [&] { wsr::cpu::sgd_update(p.data(), g.data(), v.data(), c.count, config); });
      report(ctx, nesterov ? "sgd_update nesterov" : "sgd_update", c.label, cpu_ms, cuda_ms, error, 1e-5);
    }
  }
}

WSR_CHECK(optim_adam_update) {
  // The paper's CIFAR settings, at step 10 so the bias corrections matter.
  const double lr = 1e-4, b1 = 0.9, b2 = 0.999, eps = 1e-7, wd = 0;
  const int64_t step = 10;
  const wsr::AdamConfig config = wsr::adam_config(lr, b1, b2, eps, step, wd);
  for (const OptimCase& c : kCases) {
    const std::vector<float> p0 = random_vector(ctx, c.count), g = random_vector(ctx, c.count),
                             m0 = random_vector(ctx, c.count, -0.1f, 0.1f),
                             v0 = random_vector(ctx, c.count, 1e-4f, 1e-2f);
    std::vector<float> p = p0, m = m0, v = v0;
    wsr::cpu::adam_update(p.data(), g.data(), m.data(), v.data(), c.count, config);
    double error = 0, cuda_ms = -1;
#ifdef WSR_WITH_CUDA
    if (ctx.cuda) {
      DeviceBuffer dp(p0), dg(g), dm(m0), dv(v0);
      wsr::cuda::adam_update(dp.ptr, dg.ptr, dm.ptr, dv.ptr, c.count, config);
      error = max_of(max_error(dp.to_host(), p), max_of(max_error(dm.to_host(), m), max_error(dv.to_host(), v)));
      cuda_ms = time_ms(
          ctx, [&] { wsr::cuda::adam_update(dp.ptr, dg.ptr, dm.ptr, dv.ptr, c.count, config); }, cuda_sync);
    }
#endif
    if (!ctx.cuda) {
      std::vector<double> pr = to_double(p0), mr = to_double(m0), vr = to_double(v0);
      adam_reference(pr, g, mr, vr, lr, b1, b2, eps, step, wd);
      error = max_of(max_error(p, to_float(pr)), max_of(max_error(m, to_float(mr)), max_error(v, to_float(vr))));
    }
    const double cpu_ms =
        time_ms(ctx, [&] { wsr::cpu::adam_update(p.data(), g.data(), m.data(), v.data(), c.count, config); });
    report(ctx, "adam_update", c.label, cpu_ms, cuda_ms, error, 1e-5);
  }
}
