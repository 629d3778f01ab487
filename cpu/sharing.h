// Degrees of weight sharing in a locally connected layer, on the CPU: re-tying every position's
// bank toward the mean bank, the soft-tying penalty's gradient and value, and fixed input masks.
// Definitions, layouts and the order of every sum: common/sharing_math.h. A weight [OH, OW, K, C,
// KH, KW] is passed as (positions = OH·OW, bank = K·C·KH·KW), its bias [OH, OW, K] with k = K; a
// null bias (and, for the penalty, null db) leaves the bias out. Results do not depend on the
// thread count, and equal the CUDA kernels' (cuda/sharing.h) bit for bit.
#pragma once
#include <cstdint>

#include "common/sharing_math.h"

namespace wsr::cpu {

// In place: every position's bank (and bias) ← (1 − strength)·itself + strength·the mean over
// positions; strength in [0, 1], 1 sets each to the mean exactly, 0 changes nothing. positions >= 1.
void tie_local(int64_t positions, int64_t bank, int64_t k, float* w, float* b, double strength);

// The soft-tying penalty λ/2 · (Σ_p ||w_p − w̄||² + Σ_p ||b_p − b̄||²): adds its gradient λ·(w_p − w̄)
// to dw (and λ·(b_p − b̄) to db) and its value to stats[0]. lambda >= 0 (0 changes nothing);
// positions >= 1; dw, db and stats share no memory with w, b or each other.
void tie_penalty_backward(int64_t positions, int64_t bank, int64_t k, const float* w, const float* b, float* dw,
                          float* db, double lambda, float* stats);

// out[n·sample + i] = x[n·sample + i] · mask[i] for n < count, i < sample. out may be x (in place).
void mask_inputs(int64_t count, int64_t sample, const float* x, const float* mask, float* out);

}  // namespace wsr::cpu
