// cuda/augment.cu (simulated, device branch of common/random.h) against cpu/augment.cc: bit for bit.
#include <string>
#include <vector>

#include "cpu/augment.h"
#include "harness.h"

namespace augsim {  // checks/augment_api.h, in the simulated TU
void gaussian_noise(const int64_t* s, const float* x, float* y, double sigma, uint32_t seed, uint32_t stream);
void edge_noise(const int64_t* s, const float* x, float* y, double sigma, int64_t border, uint32_t seed,
                uint32_t stream);
void translate(const int64_t* s, const float* x, float* y, double f, uint32_t seed, uint32_t stream);
void rotate(const int64_t* s, const float* x, float* y, double deg, uint32_t seed, uint32_t stream);
void quadrant_swap(const int64_t* s, const float* x, float* y);
}  // namespace augsim

using namespace wsr;
static std::string sz(int64_t v) { return std::to_string(v); }

static void check(const int64_t* sh) {
  const ImageBatch s{sh[0], sh[1], sh[2], sh[3]};
  const int64_t n = s.size();
  const std::string shape = "[" + sz(sh[0]) + "," + sz(sh[1]) + "," + sz(sh[2]) + "," + sz(sh[3]) + "]";
  const std::vector<float> x = h::rvec(n, 0, 1);
  const uint32_t seed = static_cast<uint32_t>(h::irand(0, 0xffffffffll)), stream = static_cast<uint32_t>(h::irand(0, 0xffffffffll));
  auto out = [&] { return h::nanvec(n); };
  for (double sigma : {0.3, 0.0}) {
    std::vector<float> a = out(), b = out();
    augsim::gaussian_noise(sh, x.data(), a.data(), sigma, seed, stream);
    cpu::gaussian_noise(s, x.data(), b.data(), sigma, seed, stream);
    h::report("gaussian_noise " + shape + " sigma=" + std::to_string(sigma), a.data(), b.data(), n, 0);
    std::vector<float> ia = x, ib = x;  // in place
    augsim::gaussian_noise(sh, ia.data(), ia.data(), sigma, seed, stream);
    cpu::gaussian_noise(s, ib.data(), ib.data(), sigma, seed, stream);
    h::report("gaussian_noise in place " + shape, ia.data(), ib.data(), n, 0);
  }
  for (int64_t border : {int64_t{0}, int64_t{1}, int64_t{2}, int64_t{5}, sh[2] / 2, sh[2] + sh[3]}) {
    std::vector<float> a = out(), b = out();
    augsim::edge_noise(sh, x.data(), a.data(), 0.15, border, seed, stream);
    cpu::edge_noise(s, x.data(), b.data(), 0.15, border, seed, stream);
    h::report("edge_noise " + shape + " border=" + sz(border), a.data(), b.data(), n, 0);
    std::vector<float> ia = x, ib = x;
    augsim::edge_noise(sh, ia.data(), ia.data(), 0.15, border, seed, stream);
    cpu::edge_noise(s, ib.data(), ib.data(), 0.15, border, seed, stream);
    h::report("edge_noise in place " + shape + " border=" + sz(border), ia.data(), ib.data(), n, 0);
  }
  for (double f : {0.0, 0.1, 0.25, 0.5, 0.99}) {
    std::vector<float> a = out(), b = out();
    augsim::translate(sh, x.data(), a.data(), f, seed, stream);
    cpu::translate(s, x.data(), b.data(), f, seed, stream);
    h::report("translate " + shape + " f=" + std::to_string(f), a.data(), b.data(), n, 0);
  }
  for (double deg : {0.0, 10.0, 45.0, 90.0, 180.0, 360.0, 1000.0}) {
    std::vector<float> a = out(), b = out();
    augsim::rotate(sh, x.data(), a.data(), deg, seed, stream);
    cpu::rotate(s, x.data(), b.data(), deg, seed, stream);
    h::report("rotate " + shape + " max=" + std::to_string(deg), a.data(), b.data(), n, 0);
  }
  std::vector<float> a = out(), b = out();
  augsim::quadrant_swap(sh, x.data(), a.data());
  cpu::quadrant_swap(s, x.data(), b.data());
  h::report("quadrant_swap " + shape, a.data(), b.data(), n, 0);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  const int64_t shapes[][4] = {{1, 1, 1, 1}, {3, 17, 5, 7}, {2, 3, 32, 32}, {1, 1, 1, 9}, {1, 2, 9, 1},
                               {2, 1, 2, 2}, {1, 3, 31, 33}, {4, 1, 6, 5}, {5, 3, 40, 37}, {1, 1, 2, 3},
                               {7, 1, 3, 3}, {1, 1, 64, 1}};
  for (const auto& sh : shapes) check(sh);
  const int64_t none[4] = {0, 3, 4, 4};
  augsim::gaussian_noise(none, nullptr, nullptr, 0.1, 1, 2);
  augsim::rotate(none, nullptr, nullptr, 45, 1, 2);
  return h::finish("augment");
}
