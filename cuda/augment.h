// Data augmentation of float32 image batches x [N,C,H,W] on a CUDA device: asynchronous launchers
// on the default stream, device pointers. Same contracts as cpu/augment.h, and the same results bit
// for bit: both evaluate the shared arithmetic of common/augment_math.h and common/random.h.
// Plain C++ header (no CUDA types).
#pragma once
#include <cstdint>

#include "common/augment_math.h"

namespace wsr::cuda {

void gaussian_noise(const ImageBatch& s, const float* x, float* y, double sigma, uint32_t seed, uint32_t stream);
void edge_noise(const ImageBatch& s, const float* x, float* y, double sigma, int64_t border, uint32_t seed,
                uint32_t stream);
void translate(const ImageBatch& s, const float* x, float* y, double max_fraction, uint32_t seed, uint32_t stream);
void rotate(const ImageBatch& s, const float* x, float* y, double max_degrees, uint32_t seed, uint32_t stream);
void quadrant_swap(const ImageBatch& s, const float* x, float* y);

}  // namespace wsr::cuda
