// CUDA fused optimizer updates: one thread per element (grid-stride), every read and write
// coalesced. Memory-bound: each element is read and written once per update.
#include "cuda/prelude.cuh"

#include "cuda/optim.h"

namespace wsr::cuda {
namespace {

__global__ void sgd_kernel(float* __restrict__ param, const float* __restrict__ grad,
                           float* __restrict__ velocity, int64_t count, SgdConfig c) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) {
    const float p = param[i];
    const float g = grad[i] + c.weight_decay * p;
    float step = g;  // momentum == 0: plain SGD, velocity untouched (as on the CPU)
    if (c.momentum != 0.f) {
      const float v = c.momentum * velocity[i] + g;
      velocity[i] = v;
      step = c.nesterov ? g + c.momentum * v : v;
    }
    param[i] = p - c.lr * step;
  }
}

__global__ void adam_kernel(float* __restrict__ param, const float* __restrict__ grad, float* __restrict__ m,
                            float* __restrict__ v, int64_t count, AdamConfig c) {
  for (int64_t i = grid_start(); i < count; i += grid_step()) {
    const float p = param[i];
    const float g = grad[i] + c.weight_decay * p;
    const float mi = c.beta1 * m[i] + c.one_minus_beta1 * g;
    const float vi = c.beta2 * v[i] + c.one_minus_beta2 * (g * g);
    m[i] = mi;
    v[i] = vi;
    param[i] = p - c.step_size * mi / (sqrtf(vi) * c.inv_sqrt_bias2 + c.epsilon);
  }
}

}  // namespace

void sgd_update(float* param, const float* grad, float* velocity, int64_t count, const SgdConfig& config) {
  if (count <= 0) return;
  sgd_kernel<<<blocks_for(count), kThreads>>>(param, grad, velocity, count, config);
  check_launch("sgd_update");
}

void adam_update(float* param, const float* grad, float* m, float* v, int64_t count, const AdamConfig& config) {
  if (count <= 0) return;
  adam_kernel<<<blocks_for(count), kThreads>>>(param, grad, m, v, count, config);
  check_launch("adam_update");
}

}  // namespace wsr::cuda
