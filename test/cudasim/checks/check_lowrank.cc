// cuda/lowrank.cu and the implicit-GEMM engine (simulated) against cpu/lowrank.cc: the mixing of R basis
// banks into a locally connected weight and bias, and its gradients (dbases, dbasis_bias, dlogits), with
// and without biases, on awkward shapes (rank 1, rank = positions, one position, banks around the engine's
// 64 and 128 tiles, more positions than the small variant's grid holds threads), each through every engine
// path (engine_paths.h). Bases that all equal one bank: that bank exactly, and logit gradients of exactly 0.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpu/lowrank.h"
#include "cuda/lowrank.h"
#include "engine_paths.h"
#include "harness.h"

using namespace wsr;

constexpr double kTol = 2e-5;  // float rounding apart: the engine sums in another order than the CPU's GEMM

static std::string sz(int64_t v) { return std::to_string(v); }

static void check(const LowRankShape& s, const cuda::EnginePath& path) {
  cuda::set_engine_override(path.force);
  const int64_t P = s.positions, R = s.rank, M = s.bank, K = s.k;
  const std::string what = "P " + sz(P) + " R " + sz(R) + " bank " + sz(M) + " k " + sz(K) + " [" + path.name + "]";
  const auto bases = h::rvec(R * M), bb = h::rvec(R * K), logits = h::rvec(P * R, -2.f, 2.f);
  const auto dw = h::rvec(P * M), db = h::rvec(P * K);

  for (const bool bias : {true, false}) {
    const std::string with = what + (bias ? "" : ", no bias");
    std::vector<float> ws_ = h::nanvec(P * M), wc = h::nanvec(P * M), bs = h::nanvec(P * K), bc = h::nanvec(P * K);
    auto work = h::workspace(cuda::low_rank_mix_workspace(s));
    cuda::low_rank_mix(s, bases.data(), bias ? bb.data() : nullptr, logits.data(), ws_.data(), bias ? bs.data() : nullptr,
                       work.data());
    cpu::low_rank_mix(s, bases.data(), bias ? bb.data() : nullptr, logits.data(), wc.data(), bias ? bc.data() : nullptr);
    h::report(with + " mix weight", ws_.data(), wc.data(), P * M, kTol);
    if (bias) h::report(with + " mix bias", bs.data(), bc.data(), P * K, kTol);
    if (!bias) h::expect(std::all_of(bs.begin(), bs.end(), [](float v) { return std::isnan(v); }), with + ": bias untouched");

    std::vector<float> dbs = h::nanvec(R * M), dbc = h::nanvec(R * M), dbbs = h::nanvec(R * K), dbbc = h::nanvec(R * K),
                       dls = h::nanvec(P * R), dlc = h::nanvec(P * R);
    auto bwork = h::workspace(cuda::low_rank_mix_backward_workspace(s));
    cuda::low_rank_mix_backward(s, bases.data(), bias ? bb.data() : nullptr, logits.data(), dw.data(),
                                bias ? db.data() : nullptr, dbs.data(), bias ? dbbs.data() : nullptr, dls.data(),
                                bwork.data());
    cpu::low_rank_mix_backward(s, bases.data(), bias ? bb.data() : nullptr, logits.data(), dw.data(),
                               bias ? db.data() : nullptr, dbc.data(), bias ? dbbc.data() : nullptr, dlc.data());
    h::report(with + " dbases", dbs.data(), dbc.data(), R * M, kTol);
    if (bias) h::report(with + " dbasis_bias", dbbs.data(), dbbc.data(), R * K, kTol);
    h::report(with + " dlogits", dls.data(), dlc.data(), P * R, kTol);
  }

  // Every basis (and basis bias) a copy of basis 0: the weight is it exactly, the logit gradients exactly 0.
  std::vector<float> same = bases, same_b = bb;
  for (int64_t i = M; i < R * M; ++i) same[i] = bases[i % M];
  for (int64_t i = K; i < R * K; ++i) same_b[i] = bb[i % K];
  std::vector<float> w = h::nanvec(P * M), b = h::nanvec(P * K), tiled(P * M), tiled_b(P * K);
  for (int64_t i = 0; i < P * M; ++i) tiled[i] = bases[i % M];
  for (int64_t i = 0; i < P * K; ++i) tiled_b[i] = bb[i % K];
  auto work = h::workspace(cuda::low_rank_mix_workspace(s));
  cuda::low_rank_mix(s, same.data(), same_b.data(), logits.data(), w.data(), b.data(), work.data());
  h::report(what + " equal bases: weight is basis 0", w.data(), tiled.data(), P * M, 0);
  h::report(what + " equal bases: bias is basis bias 0", b.data(), tiled_b.data(), P * K, 0);
  std::vector<float> dbs = h::nanvec(R * M), dbbs = h::nanvec(R * K), dls = h::nanvec(P * R), zeros(P * R, 0.f);
  auto bwork = h::workspace(cuda::low_rank_mix_backward_workspace(s));
  cuda::low_rank_mix_backward(s, same.data(), same_b.data(), logits.data(), dw.data(), db.data(), dbs.data(),
                              dbbs.data(), dls.data(), bwork.data());
  h::report(what + " equal bases: dlogits 0", dls.data(), zeros.data(), P * R, 0);
  cuda::set_engine_override({});
}

int main(int argc, char** argv) {
  h::init(argc, argv);
  // positions, rank, bank (K·C·KH·KW), K
  const LowRankShape cases[] = {
      {1, 1, 6, 2},       // one position, rank 1
      {15, 1, 18, 2},     // rank 1: a broadcast
      {6, 6, 48, 4},      // rank = positions
      {1, 3, 54, 3},      // one position, three bases
      {15, 4, 12, 1},     // K = 1, odd grid
      {9, 2, 129, 3},     // bank past one 128 tile
      {20, 9, 200, 8},    // rank 9, long enough to split
      {130, 3, 70, 5},    // more positions than a 128 tile
      {800, 2, 2, 1},     // past the small variant's 3 x 256 threads (softmax, logit rows)
      {4, 5, 1000, 10},   // differences past 768 elements; a long reduction for t
      {42, 40, 30, 3},    // rank 40: the CPU twin's GEMM path (above its streaming ranks)
  };
  for (const auto& path : h::engine_paths())
    for (const LowRankShape& s : cases) check(s, path);
  return h::finish("lowrank");
}
