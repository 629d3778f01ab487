#include "cpu/augment.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "cpu/parallel.h"

namespace wsr::cpu {
namespace {

// Noise on the elements [begin, end) of the flat batch, a whole Philox group of four at a time.
void noise_range(const float* x, float* y, int64_t begin, int64_t end, double sigma, uint32_t seed,
                 uint32_t stream) {
  int64_t e = begin;
  while (e < end) {
    const int64_t group = e / 4;
    double z[4];
    rng::normal4(seed, stream, static_cast<uint64_t>(group), z);
    const int64_t group_end = std::min(end, group * 4 + 4);
    for (; e < group_end; ++e) y[e] = augment::add_noise(x[e], sigma, z[e % 4]);
  }
}

void copy_range(const float* x, float* y, int64_t begin, int64_t end) {
  if (x != y && end > begin) std::memcpy(y + begin, x + begin, static_cast<size_t>(end - begin) * sizeof(float));
}

// Rows (one image row of one channel) per parallel chunk: enough work to be worth a thread.
int64_t row_grain(int64_t w) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, w)); }

}  // namespace

void gaussian_noise(const ImageBatch& s, const float* x, float* y, double sigma, uint32_t seed, uint32_t stream) {
  if (s.size() == 0) return;
  const int64_t groups = (s.size() + 3) / 4;
  parallel_for(groups, [&](int64_t g0, int64_t g1) {
    noise_range(x, y, g0 * 4, std::min(s.size(), g1 * 4), sigma, seed, stream);
  }, 1024);
}

void edge_noise(const ImageBatch& s, const float* x, float* y, double sigma, int64_t border, uint32_t seed,
                uint32_t stream) {
  if (s.size() == 0) return;
  const int64_t rows = s.n * s.c * s.h;
  const int64_t band = std::min(border, s.w);  // noisy columns at each end of a centre row
  parallel_for(rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t i = r % s.h, start = r * s.w, end = start + s.w;
      if (i < border || i >= s.h - border) {
        noise_range(x, y, start, end, sigma, seed, stream);
        continue;
      }
      // Centre row: noise on [start, start+band) and [end−band, end), untouched between.
      const int64_t left_end = start + band, right_begin = std::max(left_end, end - band);
      noise_range(x, y, start, left_end, sigma, seed, stream);
      copy_range(x, y, left_end, right_begin);
      noise_range(x, y, right_begin, end, sigma, seed, stream);
    }
  }, row_grain(s.w));
}

void translate(const ImageBatch& s, const float* x, float* y, double max_fraction, uint32_t seed, uint32_t stream) {
  if (s.size() == 0) return;
  const int64_t max_dy = augment::max_shift(max_fraction, s.h), max_dx = augment::max_shift(max_fraction, s.w);
  const int64_t rows = s.n * s.c * s.h;
  parallel_for(rows, [&](int64_t r0, int64_t r1) {
    int64_t cached_image = -1, dy = 0, dx = 0;
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t image = r / (s.c * s.h), i = r % s.h, plane = r / s.h;
      if (image != cached_image) {
        augment::translation_shift(seed, stream, image, max_dy, max_dx, &dy, &dx);
        cached_image = image;
      }
      const float* src = x + plane * s.plane() + augment::clamp_index(i - dy, s.h) * s.w;
      float* dst = y + r * s.w;
      // Output column j reads clamp(j − dx): a run of src[0], a straight copy, a run of src[w−1].
      const int64_t copy_begin = std::clamp<int64_t>(dx, 0, s.w);
      const int64_t copy_end = std::clamp<int64_t>(s.w + dx, 0, s.w);
      std::fill(dst, dst + copy_begin, src[0]);
      if (copy_end > copy_begin)
        std::memcpy(dst + copy_begin, src + (copy_begin - dx), static_cast<size_t>(copy_end - copy_begin) * sizeof(float));
      std::fill(dst + std::max(copy_begin, copy_end), dst + s.w, src[s.w - 1]);
    }
  }, row_grain(s.w));
}

void rotate(const ImageBatch& s, const float* x, float* y, double max_degrees, uint32_t seed, uint32_t stream) {
  if (s.size() == 0) return;
  const int64_t rows = s.n * s.h;  // (image, output row): the taps are shared by every channel
  parallel_for(rows, [&](int64_t r0, int64_t r1) {
    std::vector<augment::BilinearTap> taps(static_cast<size_t>(s.w));
    int64_t cached_image = -1;
    augment::Rotation rotation{0.0, 1.0};
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t image = r / s.h, i = r % s.h;
      if (image != cached_image) {
        rotation = augment::rotation_by(augment::rotation_degrees(seed, stream, image, max_degrees));
        cached_image = image;
      }
      for (int64_t j = 0; j < s.w; ++j) taps[j] = augment::rotation_tap(rotation, i, j, s.h, s.w);
      for (int64_t ch = 0; ch < s.c; ++ch) {
        const int64_t plane = image * s.c + ch;
        const float* src = x + plane * s.plane();
        float* dst = y + plane * s.plane() + i * s.w;
        for (int64_t j = 0; j < s.w; ++j) dst[j] = augment::bilinear(src, taps[j]);
      }
    }
  }, row_grain(s.w * s.c));
}

void quadrant_swap(const ImageBatch& s, const float* x, float* y) {
  if (s.size() == 0) return;
  const int64_t rows = s.n * s.c * s.h;
  const int64_t qh = s.h / 2, qw = s.w / 2;
  parallel_for(rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t i = r % s.h, plane = r / s.h;
      const float* src_plane = x + plane * s.plane();
      float* dst = y + r * s.w;
      std::memcpy(dst, src_plane + i * s.w, static_cast<size_t>(s.w) * sizeof(float));
      // The swapped quarter of this row (if any), qw wide: see augment::swap_source.
      int64_t si, sj;
      if (i < qh) {
        augment::swap_source(i, s.w - qw, s.h, s.w, &si, &sj);
        std::memcpy(dst + (s.w - qw), src_plane + si * s.w + sj, static_cast<size_t>(qw) * sizeof(float));
      } else if (i >= s.h - qh) {
        augment::swap_source(i, 0, s.h, s.w, &si, &sj);
        std::memcpy(dst, src_plane + si * s.w + sj, static_cast<size_t>(qw) * sizeof(float));
      }
    }
  }, row_grain(s.w));
}

}  // namespace wsr::cpu
