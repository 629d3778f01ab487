// cuda/conv.cu and the implicit-GEMM engine (simulated) against cpu/conv.cc: forward (with and without
// bias), input gradient (by stride phases and by patch gradients), weight and bias gradient, on awkward
// shapes, each through every engine path (engine_paths.h).
#include <string>
#include <vector>

#include "cpu/conv.h"
#include "cuda/conv.h"
#include "engine_paths.h"
#include "harness.h"
#include "window_case.h"

using namespace wsr;

// The engine sums in another order than the CPU's GEMM: float rounding apart (sums of at most a few
// hundred products of values in [-1, 1]).
constexpr double kTol = 2e-5;

void check(const h::WindowCase& t, const cuda::EnginePath& path) {
  const WindowGeometry s = h::geometry(t);
  cuda::set_engine_override(path.force);
  const std::string what = std::string(t.name) + " [" + path.name + "]";
  const auto x = h::rvec(s.input_size()), w = h::rvec(s.conv_weight_size()), b = h::rvec(s.k),
             dy = h::rvec(s.output_size());

  for (const bool bias : {true, false}) {
    std::vector<float> ys = h::nanvec(s.output_size()), yc = h::nanvec(s.output_size());
    auto ws = h::workspace(cuda::conv2d_forward_workspace(s));
    cuda::conv2d_forward(s, x.data(), w.data(), bias ? b.data() : nullptr, ys.data(), ws.data());
    cpu::conv2d_forward(s, x.data(), w.data(), bias ? b.data() : nullptr, yc.data());
    h::report(what + (bias ? " forward y" : " forward y, no bias"), ys.data(), yc.data(), s.output_size(), kTol);
  }

  std::vector<float> dxs = h::nanvec(s.input_size()), dxc = h::nanvec(s.input_size());
  auto ws = h::workspace(cuda::conv2d_backward_input_workspace(s));
  cuda::conv2d_backward_input(s, dy.data(), w.data(), dxs.data(), ws.data());
  cpu::conv2d_backward_input(s, dy.data(), w.data(), dxc.data());
  h::report(what + " dx", dxs.data(), dxc.data(), s.input_size(), kTol);

  for (const bool bias : {true, false}) {
    std::vector<float> dws = h::nanvec(s.conv_weight_size()), dwc = h::nanvec(s.conv_weight_size()),
                       dbs = h::nanvec(s.k), dbc = h::nanvec(s.k);
    auto wws = h::workspace(cuda::conv2d_backward_weight_workspace(s));
    cuda::conv2d_backward_weight(s, x.data(), dy.data(), dws.data(), bias ? dbs.data() : nullptr, wws.data());
    cpu::conv2d_backward_weight(s, x.data(), dy.data(), dwc.data(), bias ? dbc.data() : nullptr);
    h::report(what + " dw", dws.data(), dwc.data(), s.conv_weight_size(), kTol);
    if (bias) h::report(what + " db", dbs.data(), dbc.data(), s.k, kTol);
  }
  cuda::set_engine_override({});
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  // name, n, c, h, w, k, kh, kw, stride h/w, padding top/bottom/left/right
  const h::WindowCase cases[] = {
      {"1x1 all", 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0},
      {"batch1 asym-pad 3ch", 1, 3, 7, 5, 4, 3, 2, 1, 1, 1, 1, 0, 1},
      {"1x1 kernel stride>kernel 17ch", 2, 17, 6, 9, 5, 1, 1, 3, 2, 0, 0, 0, 0},
      {"stride>kernel asym-pad", 3, 2, 9, 8, 7, 2, 3, 3, 4, 1, 0, 2, 1},
      {"k70 two row tiles 5x5/2", 2, 3, 11, 10, 70, 5, 5, 2, 2, 2, 1, 2, 2},
      {"tiny 3x3 output 17ch", 2, 17, 5, 5, 9, 3, 3, 1, 1, 0, 0, 0, 0},
      {"non-square 243 pixels", 3, 1, 9, 11, 3, 1, 3, 1, 1, 0, 0, 1, 0},
      {"conv2-like 5x5/2", 4, 6, 14, 14, 6, 5, 5, 2, 2, 0, 0, 0, 0},
  };
  for (const auto& path : h::engine_paths())
    for (const h::WindowCase& t : cases) check(t, path);
  return h::finish("conv");
}
