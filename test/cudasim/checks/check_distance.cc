// cuda/distance.cu (simulated) against cpu/distance.cc.
#include <string>
#include <vector>

#include "cpu/distance.h"
#include "cuda/distance.h"
#include "harness.h"

using namespace wsr;

static std::string sz(int64_t v) { return std::to_string(v); }

enum Kind { kRandom, kDrifted, kZero, kOneZeroBank, kIdentical, kNegated };
static const char* kind_name[] = {"random", "drifted", "zero", "one-zero-bank", "identical", "negated-pairs"};

static std::vector<float> weight(const FilterGrid& g, Kind k) {
  const int64_t n = g.positions() * g.bank;
  std::vector<float> w;
  switch (k) {
    case kRandom: return h::rvec(n);
    case kZero: return std::vector<float>(n, 0.f);
    case kDrifted:
    case kIdentical:
    case kNegated: {
      const std::vector<float> bank = h::rvec(g.bank);
      w = k == kDrifted ? h::rvec(n, -0.1f, 0.1f) : std::vector<float>(n, 0.f);
      for (int64_t i = 0; i < n; ++i) w[i] += bank[i % g.bank] * (k == kNegated && (i / g.bank) % 2 ? -1.f : 1.f);
      return w;
    }
    case kOneZeroBank: {
      w = h::rvec(n);
      const int64_t p = g.positions() / 2;
      for (int64_t i = 0; i < g.bank; ++i) w[p * g.bank + i] = 0.f;
      return w;
    }
  }
  return w;
}

static void check(int64_t oh, int64_t ow, int64_t bank, const std::vector<int64_t>& radii, Kind kind) {
  const FilterGrid g{oh, ow, bank};
  const std::vector<float> w = weight(g, kind);
  const RingLayout layout = ring_layout(g, radii.data(), static_cast<int>(radii.size()));
  std::string rs;
  for (int64_t r : radii) rs += (rs.empty() ? "" : ",") + sz(r);
  const std::string what = sz(oh) + "x" + sz(ow) + " bank " + sz(bank) + " r=" + rs + " " + kind_name[kind];
  std::vector<double> workspace(static_cast<size_t>(local_distances_workspace_doubles(g, layout)), NAN);
  std::vector<float> os = h::nanvec(2 * layout.count), oc = h::nanvec(2 * layout.count);
  cuda::local_distances(w.data(), g, layout, workspace.data(), os.data());
  cpu::local_distances(w.data(), g, layout, oc.data());
  h::report("local_distances " + what + " (slots " + sz(layout.total_slots()) + ")", os.data(), oc.data(),
            2 * layout.count, 1e-5);
  if (kind == kIdentical) {  // exact: identical banks give a distance of exactly 0
    bool zero = true;
    for (int k = 0; k < layout.count; ++k)
      if (layout.slots(k) > 0) zero &= os[2 * k] == 0.f && os[2 * k + 1] == 0.f;
    h::expect(zero, "local_distances " + what + ": exactly 0 for identical banks");
  }
  const std::vector<float> ref = kind == kZero ? std::vector<float>(bank, 0.f) : h::rvec(bank);
  std::vector<float> rs_out = h::nanvec(2 * g.positions()), rc_out = h::nanvec(2 * g.positions());
  cuda::reference_distances(w.data(), ref.data(), g, rs_out.data());
  cpu::reference_distances(w.data(), ref.data(), g, rc_out.data());
  h::report("reference_distances " + what, rs_out.data(), rc_out.data(), 2 * g.positions(), 1e-5);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  std::vector<int64_t> all16;
  for (int r = 1; r <= 16; ++r) all16.push_back(r);
  // targeted shapes
  check(1, 1, 1, {1}, kRandom);             // no centre at all: total_slots 0
  check(1, 1, 33, {1, 2}, kRandom);
  check(3, 3, 1, {1}, kRandom);             // one centre
  check(3, 3, 2, {1, 1, 1}, kDrifted);      // duplicates
  check(2, 3, 31, {1}, kRandom);            // 2r >= oh: NaN, but bank norms still run
  check(5, 7, 12, {1, 2, 3}, kDrifted);     // bench case: r = 3 has no centre
  check(5, 7, 32, {3, 1, 2, 1}, kRandom);
  check(8, 8, 33, all16, kRandom);          // 16 radii, most without centres
  check(12, 9, 257, {1, 2, 4}, kDrifted);
  check(9, 12, 1000, {1, 3}, kRandom);
  check(4, 40, 7, {1}, kRandom);
  check(40, 4, 7, {1}, kRandom);
  check(6, 6, 256, {1, 2}, kZero);          // zero weight: NaN everywhere
  check(6, 6, 255, {1, 2}, kOneZeroBank);   // cosine NaN where the zero bank is on a ring
  check(7, 7, 64, {1, 2, 3}, kIdentical);
  check(7, 5, 64, {1, 2}, kNegated);
  check(14, 14, 48, {1, 4}, kDrifted);
  check(3, 3, 5000, {1}, kRandom);          // long bank: many iterations of block_dot's loop
  // random shapes
  for (int t = 0; t < 24; ++t) {
    const int64_t oh = h::irand(1, 11), ow = h::irand(1, 11);
    const int64_t banks[] = {1, 2, 31, 32, 33, 100, 256, 257, 600};
    const int64_t bank = banks[h::irand(0, 8)];
    std::vector<int64_t> radii(static_cast<size_t>(h::irand(1, 5)));
    for (auto& r : radii) r = h::irand(1, 5);
    check(oh, ow, bank, radii, static_cast<Kind>(h::irand(0, 5)));
  }
  return h::finish("distance");
}
