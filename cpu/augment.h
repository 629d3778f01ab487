// Data augmentation of float32 image batches x [N,C,H,W] (pixels in [0, 1]) on the CPU: noise for
// training and the robustness perturbations of PROTOCOL.md. No backward: they act on inputs only.
//
// Randomness is a pure function of (seed, stream, index) (common/random.h), so a result does not
// depend on the thread count and equals the CUDA kernels' (cuda/augment.h) bit for bit:
//   per-element noise: element e (flat NCHW index) gets standard normal z[e % 4] of Philox draw
//     e / 4 in the noise domain;
//   per-image parameters: image n's shift or angle comes from Philox draw n in that op's domain.
// Image n means the n-th image of this batch: give each batch its own stream.
// The pointwise ops (gaussian_noise, edge_noise) may run in place (y == x); the geometric ones
// (translate, rotate, quadrant_swap) need y separate from x. All outputs are overwritten.
#pragma once
#include <cstdint>

#include "common/augment_math.h"

namespace wsr::cpu {

// y = x + σ·z, no clipping.
void gaussian_noise(const ImageBatch& s, const float* x, float* y, double sigma, uint32_t seed, uint32_t stream);

// y = x + σ·z on pixels within `border` (>= 0) pixels of an image edge, y = x elsewhere. The noise
// at an element equals gaussian_noise's at that element for the same (seed, stream).
void edge_noise(const ImageBatch& s, const float* x, float* y, double sigma, int64_t border, uint32_t seed,
                uint32_t stream);

// Shifts each image by its own integer (dy, dx), |dy| <= round(f·H), |dx| <= round(f·W), f in [0, 1);
// pixels shifted in from outside repeat the nearest edge pixel.
void translate(const ImageBatch& s, const float* x, float* y, double max_fraction, uint32_t seed, uint32_t stream);

// Rotates each image about its centre by its own angle in (−max, max] degrees (counter-clockwise
// as displayed for positive angles), bilinear sampling, nearest-edge fill.
void rotate(const ImageBatch& s, const float* x, float* y, double max_degrees, uint32_t seed, uint32_t stream);

// Exchanges the top-right and bottom-left floor(H/2)×floor(W/2) corners of every image plane.
void quadrant_swap(const ImageBatch& s, const float* x, float* y);

}  // namespace wsr::cpu
