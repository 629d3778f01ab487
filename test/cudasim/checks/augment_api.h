// Force-included into the simulated cuda/augment.cu, which is compiled with -D__CUDA_ARCH__ (so
// common/random.h takes its device branch: __dadd_rn, __clzll, ...) and -Dwsr=wsr_dev (so those inline
// functions do not collide with the host versions the CPU twin links). Exposes the launchers with
// plain types to checks/check_augment.cc.
#pragma once
#include "cuda/augment.h"

namespace augsim {
inline wsr::ImageBatch batch(const int64_t* s) { return wsr::ImageBatch{s[0], s[1], s[2], s[3]}; }
void gaussian_noise(const int64_t* s, const float* x, float* y, double sigma, uint32_t seed, uint32_t stream) {
  wsr::cuda::gaussian_noise(batch(s), x, y, sigma, seed, stream);
}
void edge_noise(const int64_t* s, const float* x, float* y, double sigma, int64_t border, uint32_t seed,
                uint32_t stream) {
  wsr::cuda::edge_noise(batch(s), x, y, sigma, border, seed, stream);
}
void translate(const int64_t* s, const float* x, float* y, double f, uint32_t seed, uint32_t stream) {
  wsr::cuda::translate(batch(s), x, y, f, seed, stream);
}
void rotate(const int64_t* s, const float* x, float* y, double deg, uint32_t seed, uint32_t stream) {
  wsr::cuda::rotate(batch(s), x, y, deg, seed, stream);
}
void quadrant_swap(const int64_t* s, const float* x, float* y) { wsr::cuda::quadrant_swap(batch(s), x, y); }
}  // namespace augsim
