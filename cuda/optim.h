// CUDA fused optimizer updates (launchers; plain C++ header). Pointers are device pointers of
// `count` float32 elements each; the semantics are those of common/optim_config.h, whose config structs
// these share. Launched asynchronously on the default stream.
#pragma once
#include <cstdint>

#include "common/optim_config.h"

namespace wsr::cuda {

void sgd_update(float* param, const float* grad, float* velocity, int64_t count, const SgdConfig& config);
void adam_update(float* param, const float* grad, float* m, float* v, int64_t count, const AdamConfig& config);

}  // namespace wsr::cuda
