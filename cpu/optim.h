// CPU fused optimizer updates, in place; the update rules and hyperparameter structs are in
// common/optim_config.h.
#pragma once
#include <cstdint>

#include "common/optim_config.h"

namespace wsr {
namespace cpu {

void sgd_update(float* param, const float* grad, float* velocity, int64_t count, const SgdConfig& config);
void adam_update(float* param, const float* grad, float* m, float* v, int64_t count, const AdamConfig& config);

}  // namespace cpu
}  // namespace wsr
