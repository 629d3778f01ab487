// CPU fused optimizer updates: elementwise, split over the thread pool in contiguous chunks. Each
// variant is its own loop over restrict pointers with no branches, so the compiler vectorises it
// (Adam by hand, see adam()).
#include "optim.h"

#include <cmath>

#include "parallel.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace wsr::cpu {
namespace {

// Large enough that a chunk's work dwarfs the hand-off to a pool thread.
constexpr int64_t kGrain = int64_t{1} << 15;

void sgd_plain(float* __restrict__ p, const float* __restrict__ g, int64_t n, float lr, float wd) {
  for (int64_t i = 0; i < n; ++i) p[i] -= lr * (g[i] + wd * p[i]);
}

void sgd_momentum(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ vel, int64_t n, float lr,
                  float mu, float wd) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = mu * vel[i] + (g[i] + wd * p[i]);
    vel[i] = v;
    p[i] -= lr * v;
  }
}

void sgd_nesterov(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ vel, int64_t n, float lr,
                  float mu, float wd) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] + wd * p[i];
    const float v = mu * vel[i] + gi;
    vel[i] = v;
    p[i] -= lr * (gi + mu * v);
  }
}

void adam(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m, float* __restrict__ v,
          int64_t n, const AdamConfig c) {
  int64_t i = 0;
#if defined(__SSE2__)
  // GCC leaves a loop calling std::sqrt scalar (sqrt may set errno, and the build does not pass
  // -fno-math-errno): 4-wide SSE2, x86-64's baseline, about 5x faster. Same operations in the same
  // order as the scalar loop below, so both give identical results.
  const __m128 beta1 = _mm_set1_ps(c.beta1), beta2 = _mm_set1_ps(c.beta2);
  const __m128 one_minus_beta1 = _mm_set1_ps(c.one_minus_beta1), one_minus_beta2 = _mm_set1_ps(c.one_minus_beta2);
  const __m128 weight_decay = _mm_set1_ps(c.weight_decay), epsilon = _mm_set1_ps(c.epsilon);
  const __m128 step_size = _mm_set1_ps(c.step_size), inv_sqrt_bias2 = _mm_set1_ps(c.inv_sqrt_bias2);
  for (; i + 4 <= n; i += 4) {
    const __m128 pi = _mm_loadu_ps(p + i);
    const __m128 gi = _mm_add_ps(_mm_loadu_ps(g + i), _mm_mul_ps(weight_decay, pi));
    const __m128 mi = _mm_add_ps(_mm_mul_ps(beta1, _mm_loadu_ps(m + i)), _mm_mul_ps(one_minus_beta1, gi));
    const __m128 vi =
        _mm_add_ps(_mm_mul_ps(beta2, _mm_loadu_ps(v + i)), _mm_mul_ps(one_minus_beta2, _mm_mul_ps(gi, gi)));
    _mm_storeu_ps(m + i, mi);
    _mm_storeu_ps(v + i, vi);
    const __m128 denominator = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), inv_sqrt_bias2), epsilon);
    _mm_storeu_ps(p + i, _mm_sub_ps(pi, _mm_div_ps(_mm_mul_ps(step_size, mi), denominator)));
  }
#endif
  for (; i < n; ++i) {
    const float gi = g[i] + c.weight_decay * p[i];
    const float mi = c.beta1 * m[i] + c.one_minus_beta1 * gi;
    const float vi = c.beta2 * v[i] + c.one_minus_beta2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] -= c.step_size * mi / (std::sqrt(vi) * c.inv_sqrt_bias2 + c.epsilon);
  }
}

}  // namespace

void sgd_update(float* param, const float* grad, float* velocity, int64_t count, const SgdConfig& config) {
  const SgdConfig c = config;
  parallel_for(count, [=](int64_t begin, int64_t end) {
    const int64_t n = end - begin;
    if (c.momentum == 0.f)  // plain SGD: the velocity is left untouched
      sgd_plain(param + begin, grad + begin, n, c.lr, c.weight_decay);
    else if (c.nesterov)
      sgd_nesterov(param + begin, grad + begin, velocity + begin, n, c.lr, c.momentum, c.weight_decay);
    else
      sgd_momentum(param + begin, grad + begin, velocity + begin, n, c.lr, c.momentum, c.weight_decay);
  }, kGrain);
}

void adam_update(float* param, const float* grad, float* m, float* v, int64_t count, const AdamConfig& config) {
  const AdamConfig c = config;
  parallel_for(count, [=](int64_t begin, int64_t end) {
    adam(param + begin, grad + begin, m + begin, v + begin, end - begin, c);
  }, kGrain);
}

}  // namespace wsr::cpu
