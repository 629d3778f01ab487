#include "cuda/prelude.cuh"

#include "cuda/augment.h"

namespace wsr::cuda {
namespace {

// One thread per group of four consecutive elements e = 4g .. 4g+3 (one Philox draw, as on the
// CPU); neighbouring threads touch neighbouring 16-byte groups. x may equal y: each element is
// read before it is written by the same thread.
__global__ void gaussian_noise_kernel(int64_t size, const float* x, float* y, double sigma, uint32_t seed,
                                      uint32_t stream) {
  const int64_t groups = (size + 3) / 4;
  for (int64_t g = grid_start(); g < groups; g += grid_step()) {
    double z[4];
    rng::normal4(seed, stream, static_cast<uint64_t>(g), z);
    for (int k = 0; k < 4; ++k) {
      const int64_t e = 4 * g + k;
      if (e < size) y[e] = augment::add_noise(x[e], sigma, z[k]);
    }
  }
}

// Same groups; element e is pixel (i, j) = ((e / w) % h, e % w) of its plane. The Philox draw is
// skipped for groups with no border pixel.
__global__ void edge_noise_kernel(ImageBatch s, const float* x, float* y, double sigma, int64_t border, uint32_t seed,
                                  uint32_t stream) {
  const int64_t size = s.size(), groups = (size + 3) / 4;
  for (int64_t g = grid_start(); g < groups; g += grid_step()) {
    bool noisy[4];
    bool any = false;
    for (int k = 0; k < 4; ++k) {
      const int64_t e = 4 * g + k;
      noisy[k] = e < size && augment::on_border((e / s.w) % s.h, e % s.w, s.h, s.w, border);
      any = any || noisy[k];
    }
    double z[4] = {0, 0, 0, 0};
    if (any) rng::normal4(seed, stream, static_cast<uint64_t>(g), z);
    for (int k = 0; k < 4; ++k) {
      const int64_t e = 4 * g + k;
      if (e < size) y[e] = noisy[k] ? augment::add_noise(x[e], sigma, z[k]) : x[e];
    }
  }
}

// One thread per output element e = ((image·c + channel)·h + i)·w + j, so writes are coalesced
// and reads are a shifted, clamped copy of the same row. Each thread derives its image's shift
// (one Philox draw; cheaper than a second pass).
__global__ void translate_kernel(ImageBatch s, const float* x, float* y, int64_t max_dy, int64_t max_dx,
                                 uint32_t seed, uint32_t stream) {
  const int64_t size = s.size();
  for (int64_t e = grid_start(); e < size; e += grid_step()) {
    const int64_t j = e % s.w, i = (e / s.w) % s.h, plane = e / s.plane(), image = plane / s.c;
    int64_t dy, dx;
    augment::translation_shift(seed, stream, image, max_dy, max_dx, &dy, &dx);
    y[e] = x[plane * s.plane() + augment::clamp_index(i - dy, s.h) * s.w + augment::clamp_index(j - dx, s.w)];
  }
}

// One thread per output pixel p = (image·h + i)·w + j: it computes its image's angle and its
// bilinear tap once, then writes that pixel in every channel (plane stride h·w; consecutive
// threads write consecutive addresses of each plane).
__global__ void rotate_kernel(ImageBatch s, const float* x, float* y, double max_degrees, uint32_t seed,
                              uint32_t stream) {
  const int64_t pixels = s.n * s.plane();
  for (int64_t p = grid_start(); p < pixels; p += grid_step()) {
    const int64_t j = p % s.w, i = (p / s.w) % s.h, image = p / s.plane();
    const augment::Rotation rotation =
        augment::rotation_by(augment::rotation_degrees(seed, stream, image, max_degrees));
    const augment::BilinearTap tap = augment::rotation_tap(rotation, i, j, s.h, s.w);
    for (int64_t ch = 0; ch < s.c; ++ch) {
      const int64_t plane = image * s.c + ch;
      y[plane * s.plane() + i * s.w + j] = augment::bilinear(x + plane * s.plane(), tap);
    }
  }
}

// One thread per output element: a gather from augment::swap_source.
__global__ void quadrant_swap_kernel(ImageBatch s, const float* x, float* y) {
  const int64_t size = s.size();
  for (int64_t e = grid_start(); e < size; e += grid_step()) {
    const int64_t j = e % s.w, i = (e / s.w) % s.h, plane = e / s.plane();
    int64_t si, sj;
    augment::swap_source(i, j, s.h, s.w, &si, &sj);
    y[e] = x[plane * s.plane() + si * s.w + sj];
  }
}

}  // namespace

void gaussian_noise(const ImageBatch& s, const float* x, float* y, double sigma, uint32_t seed, uint32_t stream) {
  if (s.size() == 0) return;
  gaussian_noise_kernel<<<blocks_for((s.size() + 3) / 4), kThreads>>>(s.size(), x, y, sigma, seed, stream);
  check_launch("gaussian_noise");
}

void edge_noise(const ImageBatch& s, const float* x, float* y, double sigma, int64_t border, uint32_t seed,
                uint32_t stream) {
  if (s.size() == 0) return;
  edge_noise_kernel<<<blocks_for((s.size() + 3) / 4), kThreads>>>(s, x, y, sigma, border, seed, stream);
  check_launch("edge_noise");
}

void translate(const ImageBatch& s, const float* x, float* y, double max_fraction, uint32_t seed, uint32_t stream) {
  if (s.size() == 0) return;
  const int64_t max_dy = augment::max_shift(max_fraction, s.h), max_dx = augment::max_shift(max_fraction, s.w);
  translate_kernel<<<blocks_for(s.size()), kThreads>>>(s, x, y, max_dy, max_dx, seed, stream);
  check_launch("translate");
}

void rotate(const ImageBatch& s, const float* x, float* y, double max_degrees, uint32_t seed, uint32_t stream) {
  if (s.size() == 0) return;
  rotate_kernel<<<blocks_for(s.n * s.plane()), kThreads>>>(s, x, y, max_degrees, seed, stream);
  check_launch("rotate");
}

void quadrant_swap(const ImageBatch& s, const float* x, float* y) {
  if (s.size() == 0) return;
  quadrant_swap_kernel<<<blocks_for(s.size()), kThreads>>>(s, x, y);
  check_launch("quadrant_swap");
}

}  // namespace wsr::cuda
