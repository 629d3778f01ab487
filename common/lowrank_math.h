// Low-rank local connectivity (Elsayed et al. 2020, ../shared/RESEARCH.md): every output position p of a
// locally connected layer mixes R basis banks, W_p = Σ_r a_p,r · B_r and b_p = Σ_r a_p,r · bb_r, with the
// combining weights a_p = softmax(logits_p) over r. Shared by the CPU kernels (cpu/lowrank.cc) and the
// CUDA kernels (cuda/lowrank.cu), which use the same row formulas below.
//
// Layouts: bases [R, bank] (bank = K·C·KH·KW, each basis a conv weight), basis biases [R, K], logits
// [P, R] (P = OH·OW), the materialised weight [P, bank] and bias [P, K] (a locally connected layer's).
//
// The products are written about basis 0, which is exact where the bases agree:
//   W_p = B_0 + Σ_{r>=1} a_p,r · (B_r − B_0)           (the same as Σ_r a_p,r B_r, since Σ_r a_p,r = 1)
// so a layer whose bases are all one bank (rank 1, or right after convToLowRank) materialises that bank
// bit for bit at every position, whatever its logits (a −0 comes out as +0, the same value): the
// converted layer computes exactly what convToLocal's does. Its
// gradients, given dW [P, bank] and db [P, K]:
//   dB_r      = Σ_p a_p,r · dW_p                       (likewise dbb_r with db)
//   t_p,r     = <dW_p, B_r − B_0> + <db_p, bb_r − bb_0>   (t_p,0 = 0; dA_p,r − dA_p,0 for dA_p,r = ∂L/∂a_p,r)
//   dlogits_p,r = a_p,r · (t_p,r − Σ_s a_p,s t_p,s / Σ_s a_p,s)   (the softmax Jacobian; the shift by
//               dA_p,0 cancels in it, so logits get exactly 0 while the bases agree)
// The products run as float GEMMs (the CPU's sgemm, the GPU's implicit-GEMM engine: each output summed in
// a fixed order, so results repeat for a thread count and a GPU model); the per-position rows here run in
// double.
#pragma once
#include <math.h>

#include <cstdint>

#include "common/random.h"  // WSR_HOST_DEVICE

namespace wsr {

// The sizes of one low-rank layer's mixing.
struct LowRankShape {
  int64_t positions;  // P = OH·OW, >= 1
  int64_t rank;       // R, >= 1
  int64_t bank;       // floats per basis bank: K·C·KH·KW, >= 1
  int64_t k;          // floats per basis bias: K (used only when there are biases)
};

// a[0..rank) = softmax(logits[0..rank)), computed in double (the largest logit subtracted first) and
// rounded to float.
WSR_HOST_DEVICE inline void low_rank_softmax_row(const float* logits, int64_t rank, float* a) {
  double top = logits[0];
  for (int64_t r = 1; r < rank; ++r) top = logits[r] > top ? static_cast<double>(logits[r]) : top;
  double sum = 0.0;
  for (int64_t r = 0; r < rank; ++r) sum += exp(static_cast<double>(logits[r]) - top);
  for (int64_t r = 0; r < rank; ++r) a[r] = static_cast<float>(exp(static_cast<double>(logits[r]) - top) / sum);
}

// One position's logit gradient: dl[r] = a[r]·(t[r] − Σ_s a[s]·t[s] / Σ_s a[s]) in double, t[0] = 0 and
// t[r] = gw[r − 1] (+ gb[r − 1] when gb is not null) for r >= 1; gw and gb are unread when rank is 1.
WSR_HOST_DEVICE inline void low_rank_logit_gradient_row(const float* a, const float* gw, const float* gb, int64_t rank,
                                                        float* dl) {
  double weighted = 0.0, total = a[0];
  for (int64_t r = 1; r < rank; ++r) {
    const double t = static_cast<double>(gw[r - 1]) + (gb ? static_cast<double>(gb[r - 1]) : 0.0);
    weighted += static_cast<double>(a[r]) * t;
    total += a[r];
  }
  const double mean = weighted / total;
  dl[0] = static_cast<float>(static_cast<double>(a[0]) * (0.0 - mean));
  for (int64_t r = 1; r < rank; ++r) {
    const double t = static_cast<double>(gw[r - 1]) + (gb ? static_cast<double>(gb[r - 1]) : 0.0);
    dl[r] = static_cast<float>(static_cast<double>(a[r]) * (t - mean));
  }
}

}  // namespace wsr
