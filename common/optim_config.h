// Fused optimizer updates: one pass over each parameter tensor, in place. Every tensor of one
// update (param, grad and the optimizer state) has the same `count` elements, float32,
// contiguous. The hyperparameter structs are shared with the CUDA launchers (cuda/optim.h).
#pragma once
#include <cmath>
#include <cstdint>

namespace wsr {

// SGD with momentum, PyTorch semantics (dampening 0):
//   g = grad + weight_decay·param
//   v = momentum·v + g                      (skipped when momentum == 0: velocity is not touched)
//   step = nesterov ? g + momentum·v : v    (momentum == 0: step = g)
//   param -= lr·step
struct SgdConfig {
  float lr;
  float momentum;
  float weight_decay;
  bool nesterov;
};

// Adam (Kingma & Ba; PyTorch's formulation, L2 weight decay folded into the gradient):
//   g = grad + weight_decay·param
//   m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²
//   param -= lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)
// The bias corrections are computed once per call in double on the host (adam_config()), so the
// per-element work is the same on both devices:
//   param -= step_size · m / (sqrt(v)·inv_sqrt_bias2 + ε),  step_size = lr/(1-β1^t),
//   inv_sqrt_bias2 = 1/sqrt(1-β2^t).
struct AdamConfig {
  float beta1, beta2, epsilon, weight_decay;
  float one_minus_beta1, one_minus_beta2;  // from double: 1 - 0.999f is off by 5e-5 (relative)
  float step_size;       // lr / (1 - β1^t)
  float inv_sqrt_bias2;  // 1 / sqrt(1 - β2^t)
};

// Builds an AdamConfig for update number `step` (>= 1), bias corrections in double.
inline AdamConfig adam_config(double lr, double beta1, double beta2, double epsilon, int64_t step,
                              double weight_decay) {
  const double t = static_cast<double>(step);
  const double bias1 = 1.0 - std::pow(beta1, t);
  const double bias2 = 1.0 - std::pow(beta2, t);
  AdamConfig c;
  c.beta1 = static_cast<float>(beta1);
  c.beta2 = static_cast<float>(beta2);
  c.epsilon = static_cast<float>(epsilon);
  c.weight_decay = static_cast<float>(weight_decay);
  c.one_minus_beta1 = static_cast<float>(1.0 - beta1);
  c.one_minus_beta2 = static_cast<float>(1.0 - beta2);
  c.step_size = static_cast<float>(lr / bias1);
  c.inv_sqrt_bias2 = static_cast<float>(1.0 / std::sqrt(bias2));
  return c;
}

}  // namespace wsr
