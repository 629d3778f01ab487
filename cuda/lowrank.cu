// Low-rank mixing on the GPU. The per-position rows (softmax, logit gradient: common/lowrank_math.h) run
// one thread per position; the products run on the implicit-GEMM engine's plain-matrix view
// (cuda/implicit_gemm.cuh), each an item of one:
//   mix      W [P, bank]      = A1 [P, R − 1] · D [R − 1, bank] + B_0 (the engine's bias, broadcast down
//                               the rows), A1 the combining weights of bases 1.. and D the bases minus B_0
//   bases    dB [R, bank]     = Aᵀ [R, P] · dW [P, bank]
//   logits   t [P, R − 1]     = dW [P, bank] · Dᵀ [bank, R − 1]   (a long reduction: the engine splits it)
// and the same with the biases (K columns for bank). Every product sums in an order fixed by its shape and
// the GPU's SM count (split partial sums added in slice order): deterministic, no atomics.
#include "cuda/prelude.cuh"

#include "cuda/implicit_gemm.cuh"
#include "cuda/lowrank.h"

namespace wsr::cuda {
namespace {

using igemm::Batch;
using igemm::strided;

int to_int(int64_t v) { return static_cast<int>(v); }  // after require_int32

// Workspace slices start on 16-byte boundaries.
int64_t padded(int64_t floats) { return (floats + 3) / 4 * 4; }

// C [m, n] (row stride n) over a reduction of r, one item; the caller sets A and B.
Batch product(int64_t m, int64_t n, int64_t r, float* c) {
  Batch p;
  p.g.m = to_int(m);
  p.g.n = to_int(n);
  p.g.r = to_int(r);
  p.g.c = igemm::rows(c, p.g.n);
  return p;
}

// A row-major operand: element (free, red) at base[free·free_stride + red·red_stride].
igemm::Operand matrix(const float* base, int64_t free_stride, int64_t red_stride) {
  return igemm::matrix(base, strided(to_int(free_stride)), strided(to_int(red_stride)));
}

// out [P, cols] = a[:, 1:] · d + x[0]: A along its reduction (r), B along its free index (cols).
using MixLayout = igemm::Layout<true, false, igemm::kPlain, igemm::kPlain>;
Batch mix_problem(const LowRankShape& s, int64_t cols, const float* a, const float* d, const float* x0, float* out) {
  Batch p = product(s.positions, cols, s.rank - 1, out);
  p.g.a = matrix(a + 1, s.rank, 1);
  p.g.b = matrix(d, 1, cols);
  p.g.c.bias = x0;  // bias[m·0 + n·1]: row 0 added to every position
  p.g.c.bias_sm = 0;
  p.g.c.bias_sn = 1;
  igemm::make_steps(p.g);
  return p;
}
GemmPlan mix_plan(const LowRankShape& s, int64_t cols) { return plan_gemm(s.positions, cols, s.rank - 1, 1); }

// dx [R, cols] = aᵀ · dy [P, cols]: both operands along their free index.
using BasesLayout = igemm::Layout<false, false, igemm::kPlain, igemm::kPlain>;
Batch bases_problem(const LowRankShape& s, int64_t cols, const float* a, const float* dy, float* dx) {
  Batch p = product(s.rank, cols, s.positions, dx);
  p.g.a = matrix(a, 1, s.rank);
  p.g.b = matrix(dy, 1, cols);
  igemm::make_steps(p.g);
  return p;
}
GemmPlan bases_plan(const LowRankShape& s, int64_t cols) { return plan_gemm(s.rank, cols, s.positions, 1); }

// t [P, R − 1] = dy [P, cols] · dᵀ: both operands along the reduction (cols).
using LogitLayout = igemm::Layout<true, true, igemm::kPlain, igemm::kPlain>;
Batch logit_problem(const LowRankShape& s, int64_t cols, const float* dy, const float* d, float* t) {
  Batch p = product(s.positions, s.rank - 1, cols, t);
  p.g.a = matrix(dy, cols, 1);
  p.g.b = matrix(d, cols, 1);
  igemm::make_steps(p.g);
  return p;
}
GemmPlan logit_plan(const LowRankShape& s, int64_t cols) { return plan_gemm(s.positions, s.rank - 1, cols, 1); }

// The engine indexes each matrix with 32-bit integers.
void require_indexable(const LowRankShape& s, bool bias, const char* what) {
  const int64_t cols = std::max(s.bank, bias ? s.k : 0);
  require_int32(s.positions * s.rank, what);
  require_int32(s.positions * cols, what);
  require_int32(s.rank * cols, what);
}

__global__ void softmax_kernel(int64_t positions, int64_t rank, const float* logits, float* a) {
  for (int64_t p = grid_start(); p < positions; p += grid_step()) low_rank_softmax_row(logits + p * rank, rank, a + p * rank);
}

// d [rank − 1, cols] = x[r] − x[0] for r >= 1.
__global__ void differences_kernel(int64_t count, int64_t cols, const float* x, float* d) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) d[i] = x[cols + i] - x[i % cols];
}

// out [positions, cols] = x[0] at every position (rank 1).
__global__ void broadcast_kernel(int64_t count, int64_t cols, const float* x, float* out) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) out[i] = x[i % cols];
}

__global__ void logit_gradient_kernel(int64_t positions, int64_t rank, const float* a, const float* gw,
                                      const float* gb, float* dlogits) {
  const int64_t t = rank - 1;
  for (int64_t p = grid_start(); p < positions; p += grid_step())
    low_rank_logit_gradient_row(a + p * rank, gw ? gw + p * t : nullptr, gb ? gb + p * t : nullptr, rank,
                                dlogits + p * rank);
}

// Where the launchers' scratch lives in the workspace.
struct Scratch {
  int64_t a, d, e, gw, gb, partials;  // offsets in floats
  int64_t end;
};
Scratch scratch_of(const LowRankShape& s, bool backward) {
  Scratch w{};
  const int64_t more = s.rank - 1;
  w.a = 0;
  w.d = w.a + padded(s.positions * s.rank);
  w.e = w.d + padded(more * s.bank);
  w.gw = w.e + padded(more * s.k);
  w.gb = w.gw + (backward ? padded(s.positions * more) : 0);
  w.partials = w.gb + (backward ? padded(s.positions * more) : 0);
  // The products run one after another, so they share one region of partial sums.
  int64_t partials = 0;
  if (!backward && more > 0)
    partials = std::max(split_floats(mix_plan(s, s.bank), s.positions * s.bank, 1),
                        split_floats(mix_plan(s, s.k), s.positions * s.k, 1));
  if (backward) {
    partials = std::max(split_floats(bases_plan(s, s.bank), s.rank * s.bank, 1),
                        split_floats(bases_plan(s, s.k), s.rank * s.k, 1));
    if (more > 0)
      partials = std::max({partials, split_floats(logit_plan(s, s.bank), s.positions * more, 1),
                           split_floats(logit_plan(s, s.k), s.positions * more, 1)});
  }
  w.end = w.partials + partials;
  return w;
}

void softmax(const LowRankShape& s, const float* logits, float* a) {
  softmax_kernel<<<blocks_for(s.positions), kThreads>>>(s.positions, s.rank, logits, a);
  check_launch("low_rank_mix/softmax");
}

void differences(const LowRankShape& s, int64_t cols, const float* x, float* d, const char* what) {
  const int64_t count = (s.rank - 1) * cols;
  differences_kernel<<<blocks_for(count), kThreads>>>(count, cols, x, d);
  check_launch(what);
}

// out [P, cols] = x[0] + Σ_{r>=1} a[:, r]·(x[r] − x[0]), d the workspace for x's differences.
void mix(const LowRankShape& s, int64_t cols, const float* a, const float* x, float* out, float* d, float* partials) {
  if (s.rank == 1) {
    const int64_t count = s.positions * cols;
    broadcast_kernel<<<blocks_for(count), kThreads>>>(count, cols, x, out);
    check_launch("low_rank_mix/broadcast");
    return;
  }
  differences(s, cols, x, d, "low_rank_mix/differences");
  igemm::run<MixLayout>(mix_problem(s, cols, a, d, x, out), s.positions, cols, mix_plan(s, cols), partials,
                        "low_rank_mix");
}

}  // namespace

size_t low_rank_mix_workspace(const LowRankShape& s) { return static_cast<size_t>(scratch_of(s, false).end); }

void low_rank_mix(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                  float* weight, float* bias, float* workspace) {
  if (s.positions <= 0 || s.rank <= 0) return;
  require_indexable(s, basis_bias != nullptr, "low_rank_mix");
  const Scratch w = scratch_of(s, false);
  float* a = workspace + w.a;
  softmax(s, logits, a);
  mix(s, s.bank, a, bases, weight, workspace + w.d, workspace + w.partials);
  if (basis_bias) mix(s, s.k, a, basis_bias, bias, workspace + w.e, workspace + w.partials);
}

size_t low_rank_mix_backward_workspace(const LowRankShape& s) { return static_cast<size_t>(scratch_of(s, true).end); }

void low_rank_mix_backward(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                           const float* dweight, const float* dbias, float* dbases, float* dbasis_bias,
                           float* dlogits, float* workspace) {
  if (s.positions <= 0 || s.rank <= 0) return;
  const bool bias = basis_bias != nullptr;
  require_indexable(s, bias, "low_rank_mix_backward");
  const Scratch w = scratch_of(s, true);
  float* a = workspace + w.a;
  float* partials = workspace + w.partials;
  softmax(s, logits, a);
  const char* what = "low_rank_mix_backward";
  igemm::run<BasesLayout>(bases_problem(s, s.bank, a, dweight, dbases), s.rank, s.bank, bases_plan(s, s.bank),
                          partials, what);
  if (bias)
    igemm::run<BasesLayout>(bases_problem(s, s.k, a, dbias, dbasis_bias), s.rank, s.k, bases_plan(s, s.k), partials,
                            what);
  float* gw = nullptr;
  float* gb = nullptr;
  if (s.rank > 1) {
    float* d = workspace + w.d;
    gw = workspace + w.gw;
    differences(s, s.bank, bases, d, "low_rank_mix_backward/differences");
    igemm::run<LogitLayout>(logit_problem(s, s.bank, dweight, d, gw), s.positions, s.rank - 1,
                            logit_plan(s, s.bank), partials, what);
    if (bias) {
      float* e = workspace + w.e;
      gb = workspace + w.gb;
      differences(s, s.k, basis_bias, e, "low_rank_mix_backward/differences");
      igemm::run<LogitLayout>(logit_problem(s, s.k, dbias, e, gb), s.positions, s.rank - 1, logit_plan(s, s.k),
                              partials, what);
    }
  }
  logit_gradient_kernel<<<blocks_for(s.positions), kThreads>>>(s.positions, s.rank, a, gw, gb, dlogits);
  check_launch("low_rank_mix_backward/logit_gradient");
}

}  // namespace wsr::cuda
