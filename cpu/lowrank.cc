// CPU low-rank mixing: the softmax rows and the logit gradients (common/lowrank_math.h) per position, the
// products on the CPU GEMM (cpu/gemm.h: blocks of the output split over threads, each element summed in
// one fixed order, so the results do not depend on the thread count).
#include "cpu/lowrank.h"

#include <algorithm>
#include <vector>

#include "cpu/gemm.h"
#include "cpu/parallel.h"

namespace wsr::cpu {
namespace {

constexpr int64_t kCopyGrain = 1 << 15;  // floats per chunk worth a thread hand-off

// Rows of `cols` floats per chunk of a row-parallel loop.
int64_t rows_per_chunk(int64_t cols) { return std::max<int64_t>(1, kCopyGrain / std::max<int64_t>(cols, 1)); }

// a [P, R] = the softmax of every position's logits.
std::vector<float> combining_weights(const LowRankShape& s, const float* logits) {
  std::vector<float> a(static_cast<size_t>(s.positions * s.rank));
  for (int64_t p = 0; p < s.positions; ++p) low_rank_softmax_row(logits + p * s.rank, s.rank, a.data() + p * s.rank);
  return a;
}

// out [P, cols] = x[0] + Σ_{r>=1} a[p, r]·(x[r] − x[0]): one GEMM [P, R]·[R, cols] of the combining weights
// with their first column set to 1 and of x[0] stacked on the differences, so that out is written once. Where
// the bases agree the differences are 0 and every output is 1·x[0] plus zeros: x[0] exactly.
void mix(const LowRankShape& s, int64_t cols, const std::vector<float>& a, const float* x, float* out) {
  const int64_t R = s.rank;
  std::vector<float> ones = a;
  for (int64_t p = 0; p < s.positions; ++p) ones[p * R] = 1.f;
  std::vector<float> stacked(static_cast<size_t>(R * cols));
  std::copy(x, x + cols, stacked.begin());
  parallel_for(R - 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0 + 1; r < r1 + 1; ++r)
      for (int64_t i = 0; i < cols; ++i) stacked[r * cols + i] = x[r * cols + i] - x[i];
  }, rows_per_chunk(cols));
  sgemm_parallel(false, false, s.positions, cols, R, 1.f, ones.data(), R, stacked.data(), cols, 0.f, out, cols);
}

// dx [R, cols] = aᵀ·dy, and for rank > 1 t [P, R − 1] = dy·(x[r] − x[0])ᵀ.
void project(const LowRankShape& s, int64_t cols, const std::vector<float>& a, const float* x, const float* dy,
             float* dx, float* t) {
  const int64_t P = s.positions, R = s.rank;
  sgemm_parallel(true, false, R, cols, P, 1.f, a.data(), R, dy, cols, 0.f, dx, cols);
  if (R == 1) return;
  std::vector<float> d(static_cast<size_t>((R - 1) * cols));
  parallel_for(R - 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t i = 0; i < cols; ++i) d[r * cols + i] = x[(r + 1) * cols + i] - x[i];
  }, rows_per_chunk(cols));
  sgemm_parallel(false, true, P, R - 1, cols, 1.f, dy, cols, d.data(), cols, 0.f, t, R - 1);
}

// The flops of the mixing products, for OpSize.
double mix_flops(const LowRankShape& s, bool bias) {
  return 2.0 * static_cast<double>(s.positions) * static_cast<double>(s.rank) *
         static_cast<double>(s.bank + (bias ? s.k : 0));
}

}  // namespace

void low_rank_mix(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                  float* weight, float* bias) {
  if (s.positions <= 0 || s.rank <= 0) return;
  const OpSize size(mix_flops(s, basis_bias != nullptr));
  const std::vector<float> a = combining_weights(s, logits);
  mix(s, s.bank, a, bases, weight);
  if (basis_bias) mix(s, s.k, a, basis_bias, bias);
}

void low_rank_mix_backward(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                           const float* dweight, const float* dbias, float* dbases, float* dbasis_bias,
                           float* dlogits) {
  if (s.positions <= 0 || s.rank <= 0) return;
  const bool bias = basis_bias != nullptr;
  const OpSize size(2 * mix_flops(s, bias));
  const int64_t P = s.positions, R = s.rank;
  const std::vector<float> a = combining_weights(s, logits);
  // t [P, R − 1]: the weights' part and the biases' part apart, added in double per row.
  std::vector<float> gw(static_cast<size_t>(P * (R - 1))), gb(bias ? gw.size() : 0);
  project(s, s.bank, a, bases, dweight, dbases, gw.data());
  if (bias) project(s, s.k, a, basis_bias, dbias, dbasis_bias, gb.data());
  for (int64_t p = 0; p < P; ++p)
    low_rank_logit_gradient_row(a.data() + p * R, R > 1 ? gw.data() + p * (R - 1) : nullptr,
                                R > 1 && bias ? gb.data() + p * (R - 1) : nullptr, R, dlogits + p * R);
}

}  // namespace wsr::cpu
