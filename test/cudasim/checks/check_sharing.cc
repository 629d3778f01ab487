// cuda/sharing.cu (simulated) against cpu/sharing.cc, bit for bit: re-tying toward the mean bank
// (strengths 0, 0.3, 1; with and without bias), the soft-tying penalty (gradients added to existing
// ones, the value accumulated into stats; lambda 0 and > 0; with and without bias) and input masks
// (in place too). Column counts around a tile (127, 128, 129), a bias that starts inside a tile, one
// position, and enough tiles that the small variant's grid-stride loops wrap.
#include <string>
#include <vector>

#include "cpu/sharing.h"
#include "cuda/sharing.h"
#include "harness.h"

using namespace wsr;

static std::string sz(int64_t v) { return std::to_string(v); }

static void check_layer(int64_t positions, int64_t bank, int64_t k) {
  const std::string what = "P " + sz(positions) + " bank " + sz(bank) + " k " + sz(k);
  const std::vector<float> w = h::rvec(positions * bank), b = h::rvec(positions * k);
  for (const bool bias : {true, false}) {
    const std::string with = what + (bias ? "" : ", no bias");
    for (const double strength : {0.0, 0.3, 1.0}) {
      std::vector<float> ws = w, wc = w, bs = b, bc = b;
      cuda::tie_local(positions, bank, k, ws.data(), bias ? bs.data() : nullptr, strength);
      cpu::tie_local(positions, bank, k, wc.data(), bias ? bc.data() : nullptr, strength);
      const std::string tie = "tie_local " + with + " strength " + std::to_string(strength).substr(0, 3);
      h::report(tie + " w", ws.data(), wc.data(), positions * bank, 0);
      h::report(tie + " b", bs.data(), bc.data(), positions * k, 0);
      if (strength == 0.0) h::expect(ws == w && bs == b, tie + ": unchanged");
      if (!bias) h::expect(bs == b, tie + ": bias untouched");
    }
    for (const double lambda : {0.0, 0.7}) {
      const std::vector<float> dw = h::rvec(positions * bank), db = h::rvec(positions * k);
      std::vector<float> dws = dw, dwc = dw, dbs = db, dbc = db, ss{2.5f}, sc{2.5f};
      // One double per tile, NaN until written (one spare: never empty).
      std::vector<double> workspace(static_cast<size_t>(penalty_workspace_doubles(bank, k, bias) + 1), NAN);
      cuda::tie_penalty_backward(positions, bank, k, w.data(), bias ? b.data() : nullptr, dws.data(),
                                 bias ? dbs.data() : nullptr, lambda, ss.data(), workspace.data());
      cpu::tie_penalty_backward(positions, bank, k, w.data(), bias ? b.data() : nullptr, dwc.data(),
                                bias ? dbc.data() : nullptr, lambda, sc.data());
      const std::string pen = "tie_penalty_backward " + with + " lambda " + std::to_string(lambda).substr(0, 3);
      h::report(pen + " dw", dws.data(), dwc.data(), positions * bank, 0);
      h::report(pen + " db", dbs.data(), dbc.data(), positions * k, 0);
      h::report(pen + " stats", ss.data(), sc.data(), 1, 0);
      if (lambda == 0.0) h::expect(dws == dw && dbs == db && ss[0] == 2.5f, pen + ": unchanged");
      if (lambda > 0.0 && positions > 1 && bank > 0) h::expect(ss[0] > 2.5f, pen + ": value added to stats");
      if (!bias) h::expect(dbs == db, pen + ": bias gradient untouched");
    }
  }
}

static void check_mask(int64_t count, int64_t sample) {
  const std::string what = "mask_inputs " + sz(count) + " x " + sz(sample);
  const std::vector<float> x = h::rvec(count * sample);
  std::vector<float> mask = h::rvec(sample);
  for (float& m : mask) m = m < 0 ? 0.f : m < 0.5f ? 1.f : m;  // zeros, ones and other factors
  std::vector<float> os = h::nanvec(count * sample), oc = h::nanvec(count * sample);
  cuda::mask_inputs(count, sample, x.data(), mask.data(), os.data());
  cpu::mask_inputs(count, sample, x.data(), mask.data(), oc.data());
  h::report(what, os.data(), oc.data(), count * sample, 0);
  std::vector<float> in_place = x;
  cuda::mask_inputs(count, sample, in_place.data(), mask.data(), in_place.data());
  h::report(what + " in place", in_place.data(), oc.data(), count * sample, 0);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  // Layers: positions x bank x k. Columns (bank + k) around one tile of 128, the bias starting inside a
  // tile, a single column, one position, and more than three tiles (the small variant's grid cap).
  check_layer(1, 1, 1);
  check_layer(3, 1, 1);
  check_layer(1, 48, 4);
  check_layer(15, 18, 2);       // 3x5 grid, k 2, c 3, 1x3 kernels
  check_layer(7, 124, 3);       // 127 columns
  check_layer(7, 125, 3);       // 128: exactly one tile
  check_layer(7, 126, 3);       // 129: the bias's last column alone in the second tile
  check_layer(2, 128, 5);       // the bias starts the second tile
  check_layer(12, 126, 3);      // bank 126 + bias 3
  check_layer(9, 1000, 7);      // eight tiles: wraps the small variant's 3 blocks
  check_layer(25, 0, 0);        // nothing to tie (an empty bank)
  check_layer(4, 0, 3);         // a bias without weight columns
  for (int t = 0; t < 8; ++t) check_layer(h::irand(1, 20), h::irand(1, 600), h::irand(1, 40));
  // Masks: count x sample, one sample, one element per sample, past the small variant's 3 x 256 threads.
  check_mask(0, 5);
  check_mask(1, 1);
  check_mask(1, 7);
  check_mask(3, 1);
  check_mask(4, 31);
  check_mask(2, 1000);
  check_mask(5, 257);
  return h::finish("sharing");
}
