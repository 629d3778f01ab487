// cuda/dense.cu and the implicit-GEMM engine (simulated) against cpu/dense.cc, through every engine path.
#include <cstdlib>
#include <string>
#include <vector>

#include "cpu/dense.h"
#include "cuda/dense.h"
#include "engine_paths.h"
#include "harness.h"

using namespace wsr;
static std::string sz(int64_t v) { return std::to_string(v); }
constexpr double kTol = 1e-4;  // test/native/check_dense.cc

static void check(int64_t n, int64_t in, int64_t out, int opts, const char* path) {
  const bool bias = opts & 1, want_dx = !(opts & 2), want_db = !(opts & 4);
  const DenseShape s{n, in, out};
  const std::vector<float> x = h::rvec(n * in), w = h::rvec(out * in), b = h::rvec(out), dy = h::rvec(n * out);
  const std::string what = "dense n=" + sz(n) + " in=" + sz(in) + " out=" + sz(out) + (bias ? " bias" : " nobias") +
                           " SMs=" + (std::getenv("SIM_SM_COUNT") ? std::getenv("SIM_SM_COUNT") : "132") + " [" + path + "]";
  std::vector<float> ys = h::nanvec(n * out), yc = h::nanvec(n * out);
  auto ws = h::workspace(cuda::dense_forward_workspace(s));
  cuda::dense_forward(s, x.data(), w.data(), bias ? b.data() : nullptr, ys.data(), ws.data());
  cpu::dense_forward(s, x.data(), w.data(), bias ? b.data() : nullptr, yc.data());
  h::report(what + " forward y", ys.data(), yc.data(), n * out, kTol);
  std::vector<float> dxs = h::nanvec(n * in), dxc = h::nanvec(n * in), dws = h::nanvec(out * in),
                     dwc = h::nanvec(out * in), dbs = h::nanvec(out), dbc = h::nanvec(out);
  auto bws = h::workspace(cuda::dense_backward_workspace(s));
  cuda::dense_backward(s, x.data(), w.data(), dy.data(), want_dx ? dxs.data() : nullptr, dws.data(),
                       want_db ? dbs.data() : nullptr, bws.data());
  cpu::dense_backward(s, x.data(), w.data(), dy.data(), want_dx ? dxc.data() : nullptr, dwc.data(),
                      want_db ? dbc.data() : nullptr);
  if (want_dx) h::report(what + " backward dx", dxs.data(), dxc.data(), n * in, kTol);
  h::report(what + " backward dw", dws.data(), dwc.data(), out * in, kTol);
  if (want_db) h::report(what + " backward db", dbs.data(), dbc.data(), out, kTol);
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  const int64_t shapes[][3] = {{1, 1, 1},   {2, 3, 5},     {1, 37, 10},  {33, 31, 32}, {64, 100, 37}, {5, 0, 7},
                               {0, 4, 3},   {3, 5, 0},     {130, 257, 65}, {1, 1000, 10}, {1000, 3, 1}, {31, 33, 129},
                               {200, 64, 300}};
  for (const char* sms : {"132", "1"}) {  // the planner's choices differ with the SM count
    setenv("SIM_SM_COUNT", sms, 1);
    for (const auto& sh : shapes) check(sh[0], sh[1], sh[2], static_cast<int>(h::irand(0, 7)) | 1, "auto");
    for (const auto& sh : shapes) check(sh[0], sh[1], sh[2], static_cast<int>(h::irand(0, 7)) & ~1, "auto");
  }
  setenv("SIM_SM_COUNT", "132", 1);
  for (const auto& path : h::engine_paths()) {  // every tile and split forced
    if (std::string(path.name) == "auto") continue;
    wsr::cuda::set_engine_override(path.force);
    for (const auto& sh : shapes) check(sh[0], sh[1], sh[2], static_cast<int>(h::irand(0, 7)), path.name);
    wsr::cuda::set_engine_override({});
  }
  return h::finish("dense");
}
