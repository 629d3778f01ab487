// cuda/elementwise.cu (simulated) against cpu/elementwise.cc.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/elementwise.h"
#include "cuda/elementwise.h"
#include "harness.h"

using namespace wsr;
static std::string sz(int64_t v) { return std::to_string(v); }

int main(int argc, char** argv) {
  h::init(argc, argv);
  const std::vector<int64_t> sizes = {1, 2, 31, 32, 33, 255, 256, 257, 1000, 4099, 70001};
  for (int64_t n : sizes) {
    const float v = h::frand(-3, 3), alpha = h::frand(-2, 2);
    std::vector<float> a = h::nanvec(n), b = h::nanvec(n);
    cuda::fill(n, v, a.data());
    cpu::fill(n, v, b.data());
    h::report("fill n=" + sz(n), a.data(), b.data(), n, 0);
    std::vector<float> x = h::rvec(n), y = h::rvec(n), s1 = x, s2 = x;
    cuda::scale(n, alpha, s1.data());
    cpu::scale(n, alpha, s2.data());
    h::report("scale n=" + sz(n), s1.data(), s2.data(), n, 0);
    std::vector<float> y1 = y, y2 = y;
    cuda::axpy(n, alpha, x.data(), y1.data());
    cpu::axpy(n, alpha, x.data(), y2.data());
    h::report("axpy n=" + sz(n), y1.data(), y2.data(), n, h::kArith);
  }
  // reductions: more than kMaxReduceBlocks (1024) blocks of 256 needs > 262144 values
  std::vector<int64_t> rsizes = sizes;
  rsizes.push_back(262144 + 257);
  for (int64_t n : rsizes) {
    for (int shift = 0; shift < 2; ++shift) {  // mean 0 and mean 0.5 inputs
      const std::vector<float> x = h::rvec(n, -1.f + 2.f * shift, 1.f + 2.f * shift);  // [-1,1] or [1,3]
      float a = NAN, b = NAN;
      cuda::sum(n, x.data(), &a);
      cpu::sum(n, x.data(), &b);
      // Mean-zero data: the total is small next to the running float total the block atomics round at,
      // so the project's relative tolerance does not apply. Allowed instead: 8·sqrt(blocks)·2^-24·sqrt(Σx²)
      // (8 sigma of the rounding random walk); a lost or doubled block total is ~sqrt(Σx²/blocks) off.
      double tol = 2e-5;
      if (!shift) {
        double q = 0;
        for (float v : x) q += double(v) * v;
        const double blocks = std::min<double>(1024, (n + 255) / 256);
        tol = 8 * std::sqrt(blocks) * std::ldexp(1.0, -24) * std::sqrt(q) / (std::fabs(b) + 1);
        tol = std::max(tol, 2e-5);
      }
      h::report("sum n=" + sz(n) + (shift ? " in [1,3]" : " in [-1,1]"), &a, &b, 1, tol);
      a = b = NAN;
      cuda::sum_squares(n, x.data(), &a);
      cpu::sum_squares(n, x.data(), &b);
      h::report("sum_squares n=" + sz(n) + (shift ? " in [1,3]" : " in [-1,1]"), &a, &b, 1, 2e-5);
    }
  }
  float z = NAN;
  cuda::sum(0, nullptr, &z);
  h::expect(z == 0.f, "sum n=0 writes 0");
  z = NAN;
  cuda::sum_squares(0, nullptr, &z);
  h::expect(z == 0.f, "sum_squares n=0 writes 0");
  cuda::fill(0, 1.f, nullptr);
  cuda::scale(0, 1.f, nullptr);
  cuda::axpy(0, 1.f, nullptr, nullptr);
  return h::finish("elementwise");
}
