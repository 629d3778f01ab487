// Low-rank local connectivity on the CPU: the mixing of R basis banks into a locally connected layer's
// weight and bias, and its backward pass. Definitions, layouts and formulas: common/lowrank_math.h. The
// layer itself then runs on the locally connected kernels (cpu/local.h) with the materialised weight.
// A null basis_bias means no biases: bias, dbias and dbasis_bias are then null too (and s.k unused).
// Outputs are overwritten and share no memory with the inputs. Results do not depend on the thread count.
#pragma once
#include "common/lowrank_math.h"

namespace wsr::cpu {

// weight [P, bank] = Σ_r a_p,r·bases[r] and bias [P, K] = Σ_r a_p,r·basis_bias[r], a_p = softmax(logits_p).
void low_rank_mix(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                  float* weight, float* bias);

// Given dweight [P, bank] and dbias [P, K] (gradients of a loss with respect to the materialised weight
// and bias): dbases [R, bank], dbasis_bias [R, K] and dlogits [P, R], the loss's gradients with respect
// to the parameters.
void low_rank_mix_backward(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                           const float* dweight, const float* dbias, float* dbases, float* dbasis_bias,
                           float* dlogits);

}  // namespace wsr::cpu
