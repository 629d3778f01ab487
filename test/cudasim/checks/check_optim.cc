// cuda/optim.cu (simulated) against cpu/optim.cc, over three consecutive updates.
#include <string>
#include <vector>

#include "cpu/optim.h"
#include "cuda/optim.h"
#include "harness.h"

using namespace wsr;
static std::string sz(int64_t v) { return std::to_string(v); }

static void check_sgd(int64_t n, SgdConfig c, bool null_velocity) {
  std::vector<float> p1 = h::rvec(n), p2 = p1, v1 = null_velocity ? h::nanvec(n) : h::rvec(n, -0.1f, 0.1f), v2 = v1;
  const std::string what = "sgd n=" + sz(n) + " lr=" + std::to_string(c.lr) + " mu=" + std::to_string(c.momentum) +
                           " wd=" + std::to_string(c.weight_decay) + (c.nesterov ? " nesterov" : "") +
                           (null_velocity ? " velocity=null" : "");
  for (int step = 0; step < 3; ++step) {
    const std::vector<float> g = h::rvec(n);
    cuda::sgd_update(p1.data(), g.data(), null_velocity ? nullptr : v1.data(), n, c);
    cpu::sgd_update(p2.data(), g.data(), null_velocity ? nullptr : v2.data(), n, c);
  }
  h::report(what + " param", p1.data(), p2.data(), n, h::kArith);
  if (!null_velocity) h::report(what + " velocity", v1.data(), v2.data(), n, h::kArith);
}

static void check_adam(int64_t n, double lr, double wd, int64_t first_step) {
  std::vector<float> p1 = h::rvec(n), p2 = p1, m1 = h::rvec(n, -0.01f, 0.01f), m2 = m1, v1 = h::rvec(n, 0, 1e-3f), v2 = v1;
  const std::string what = "adam n=" + sz(n) + " lr=" + std::to_string(lr) + " wd=" + std::to_string(wd) + " t=" +
                           sz(first_step) + ".." + sz(first_step + 2);
  for (int64_t t = first_step; t < first_step + 3; ++t) {
    const AdamConfig c = adam_config(lr, 0.9, 0.999, 1e-8, t, wd);
    const std::vector<float> g = h::rvec(n);
    cuda::adam_update(p1.data(), g.data(), m1.data(), v1.data(), n, c);
    cpu::adam_update(p2.data(), g.data(), m2.data(), v2.data(), n, c);
  }
  h::report(what + " param", p1.data(), p2.data(), n, h::kArith);
  h::report(what + " m", m1.data(), m2.data(), n, h::kArith);
  h::report(what + " v", v1.data(), v2.data(), n, h::kArith);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  for (int64_t n : {1, 2, 31, 32, 33, 255, 256, 257, 1000, 4099, 70001}) {
    check_sgd(n, SgdConfig{0.1f, 0.f, 0.f, false}, true);
    check_sgd(n, SgdConfig{0.05f, 0.f, 5e-4f, false}, false);  // momentum 0: velocity must stay as it was
    check_sgd(n, SgdConfig{0.05f, 0.9f, 0.f, false}, false);
    check_sgd(n, SgdConfig{0.05f, 0.9f, 5e-4f, true}, false);
    check_adam(n, 1e-3, 0, 1);
    check_adam(n, 3e-4, 1e-2, 1000);
  }
  cuda::sgd_update(nullptr, nullptr, nullptr, 0, SgdConfig{0.1f, 0.9f, 0.f, false});
  cuda::adam_update(nullptr, nullptr, nullptr, nullptr, 0, adam_config(1e-3, 0.9, 0.999, 1e-8, 1, 0));
  return h::finish("optim");
}
