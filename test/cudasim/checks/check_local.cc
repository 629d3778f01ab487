// cuda/local.cu and the implicit-GEMM engine (simulated) against cpu/local.cc: forward (with and without
// bias), input gradient, weight gradient (with and without bias gradient) on awkward shapes, each through
// every engine path (engine_paths.h); and the conversions conv -> local -> conv, bit for bit.
#include <string>
#include <vector>

#include "cpu/local.h"
#include "cuda/local.h"
#include "engine_paths.h"
#include "harness.h"
#include "window_case.h"

using namespace wsr;

constexpr double kTol = 2e-5;  // float rounding apart: the engine sums in another order than the CPU's GEMM

void check(const h::WindowCase& t, const cuda::EnginePath& path) {
  const WindowGeometry s = h::geometry(t);
  cuda::set_engine_override(path.force);
  const std::string what = std::string(t.name) + " [" + path.name + "]";
  const int64_t P = s.positions(), weights = s.local_weight_size(), biases = P * s.k;
  const auto x = h::rvec(s.input_size()), w = h::rvec(weights), b = h::rvec(biases), dy = h::rvec(s.output_size());

  for (const bool bias : {true, false}) {
    std::vector<float> ys = h::nanvec(s.output_size()), yc = h::nanvec(s.output_size());
    auto ws = h::workspace(cuda::local2d_forward_workspace(s));
    cuda::local2d_forward(s, x.data(), w.data(), bias ? b.data() : nullptr, ys.data(), ws.data());
    cpu::local2d_forward(s, x.data(), w.data(), bias ? b.data() : nullptr, yc.data());
    h::report(what + (bias ? " forward y" : " forward y, no bias"), ys.data(), yc.data(), s.output_size(), kTol);
  }

  std::vector<float> dxs = h::nanvec(s.input_size()), dxc = h::nanvec(s.input_size());
  auto ws = h::workspace(cuda::local2d_backward_input_workspace(s));
  cuda::local2d_backward_input(s, dy.data(), w.data(), dxs.data(), ws.data());
  cpu::local2d_backward_input(s, dy.data(), w.data(), dxc.data());
  h::report(what + " dx", dxs.data(), dxc.data(), s.input_size(), kTol);

  for (const bool bias : {true, false}) {
    std::vector<float> dws = h::nanvec(weights), dwc = h::nanvec(weights), dbs = h::nanvec(biases),
                       dbc = h::nanvec(biases);
    auto wws = h::workspace(cuda::local2d_backward_weight_workspace(s));
    cuda::local2d_backward_weight(s, x.data(), dy.data(), dws.data(), bias ? dbs.data() : nullptr, wws.data());
    cpu::local2d_backward_weight(s, x.data(), dy.data(), dwc.data(), bias ? dbc.data() : nullptr);
    h::report(what + " dw", dws.data(), dwc.data(), weights, kTol);
    if (bias) h::report(what + " db", dbs.data(), dbc.data(), biases, kTol);
  }
  cuda::set_engine_override({});
}

// conv -> local tiles the bank and bias to every position; local -> conv takes the mean in double. Both
// exact: copies, and the same double sums in position order as the CPU.
void check_conversions(const h::WindowCase& t) {
  const WindowGeometry s = h::geometry(t);
  const int64_t P = s.positions(), bank = s.conv_weight_size();
  const auto conv_w = h::rvec(bank), conv_b = h::rvec(s.k), drifted = h::rvec(P * bank), drifted_b = h::rvec(P * s.k);
  std::vector<float> lw_s = h::nanvec(P * bank), lw_c = h::nanvec(P * bank), lb_s = h::nanvec(P * s.k),
                     lb_c = h::nanvec(P * s.k);
  cuda::conv_to_local(P, bank, s.k, conv_w.data(), conv_b.data(), lw_s.data(), lb_s.data());
  cpu::conv_to_local(P, bank, s.k, conv_w.data(), conv_b.data(), lw_c.data(), lb_c.data());
  const std::string what = std::string(t.name) + " ";
  h::report(what + "conv_to_local w", lw_s.data(), lw_c.data(), P * bank, 0);
  h::report(what + "conv_to_local b", lb_s.data(), lb_c.data(), P * s.k, 0);
  std::vector<float> cw_s = h::nanvec(bank), cw_c = h::nanvec(bank), cb_s = h::nanvec(s.k), cb_c = h::nanvec(s.k);
  cuda::local_to_conv(P, bank, s.k, drifted.data(), drifted_b.data(), cw_s.data(), cb_s.data());
  cpu::local_to_conv(P, bank, s.k, drifted.data(), drifted_b.data(), cw_c.data(), cb_c.data());
  h::report(what + "local_to_conv w", cw_s.data(), cw_c.data(), bank, 0);
  h::report(what + "local_to_conv b", cb_s.data(), cb_c.data(), s.k, 0);
  cuda::local_to_conv(P, bank, s.k, lw_s.data(), lb_s.data(), cw_s.data(), cb_s.data());  // the round trip
  h::report(what + "conv -> local -> conv w", cw_s.data(), conv_w.data(), bank, 0);
  h::report(what + "conv -> local -> conv b", cb_s.data(), conv_b.data(), s.k, 0);
  std::vector<float> no_bias = h::nanvec(bank);  // null biases are skipped
  cuda::local_to_conv(P, bank, s.k, drifted.data(), nullptr, no_bias.data(), nullptr);
  h::report(what + "local_to_conv w, no bias", no_bias.data(), cw_c.data(), bank, 0);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  // name, n, c, h, w, k, kh, kw, stride h/w, padding top/bottom/left/right
  const h::WindowCase cases[] = {
      {"1x1 all", 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
      {"batch1 asym-pad 3ch", 1, 3, 6, 5, 4, 3, 2, 1, 1, 1, 1, 0, 1},
      {"1x1 kernel stride>kernel 17ch", 3, 17, 5, 7, 5, 1, 1, 3, 2, 0, 0, 0, 0},
      {"stride>kernel asym-pad", 2, 2, 8, 7, 6, 2, 3, 3, 4, 1, 0, 2, 1},
      {"k70 batch 130: row and column tiles", 130, 2, 3, 3, 70, 2, 2, 1, 1, 0, 0, 0, 0},
      {"tiny 3x3 output 17ch", 3, 17, 5, 5, 9, 3, 3, 1, 1, 0, 0, 0, 0},
      {"5x5/2 non-square", 4, 3, 9, 11, 6, 5, 5, 2, 2, 0, 0, 1, 0},
  };
  for (const auto& path : h::engine_paths())
    for (const h::WindowCase& t : cases) check(t, path);
  for (const h::WindowCase& t : cases) check_conversions(t);
  return h::finish("local");
}
