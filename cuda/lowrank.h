// Low-rank local connectivity on a CUDA GPU (launchers; plain C++ header): the same operations,
// arguments and layouts as cpu/lowrank.h (definitions: common/lowrank_math.h). Pointers are device
// pointers; launches go on the default stream and return before the kernels finish; launch failures throw
// std::runtime_error. Each launcher takes a `workspace` of at least its ..._workspace(s) floats, which
// nothing else may use until its kernels have run: the combining weights [P, R], the bases and biases
// about basis 0 ([R − 1, bank] and [R − 1, K]), the backward pass's products t [P, R − 1] (weights and
// biases apart) and the engine's split partial sums. Results are deterministic for a GPU model.
#pragma once
#include <cstddef>

#include "common/lowrank_math.h"

namespace wsr::cuda {

size_t low_rank_mix_workspace(const LowRankShape& s);
void low_rank_mix(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                  float* weight, float* bias, float* workspace);

size_t low_rank_mix_backward_workspace(const LowRankShape& s);
void low_rank_mix_backward(const LowRankShape& s, const float* bases, const float* basis_bias, const float* logits,
                           const float* dweight, const float* dbias, float* dbases, float* dbasis_bias,
                           float* dlogits, float* workspace);

}  // namespace wsr::cuda
