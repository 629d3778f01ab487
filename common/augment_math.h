// The per-pixel and per-image arithmetic of the augmentation kernels, written once for the CPU
// and CUDA kernels (and mirrored by src/ops/augment_random.ts) so that all of them compute the
// same perturbation bit for bit. Every floating-point step goes through wsr::rng's rounded
// operations (no FMA contraction); see common/random.h.
#pragma once
#include <cstdint>

#include "common/random.h"

namespace wsr {

// A batch of float32 images, NCHW, contiguous.
struct ImageBatch {
  int64_t n, c, h, w;
  WSR_HOST_DEVICE int64_t plane() const { return h * w; }
  WSR_HOST_DEVICE int64_t size() const { return n * c * h * w; }
};

namespace augment {

// x + σ·z, rounded once to float.
WSR_HOST_DEVICE inline float add_noise(float x, double sigma, double z) {
  return static_cast<float>(rng::add(static_cast<double>(x), rng::mul(sigma, z)));
}

// Whether pixel (i, j) of an h×w image lies within `border` pixels of an edge.
WSR_HOST_DEVICE inline bool on_border(int64_t i, int64_t j, int64_t h, int64_t w, int64_t border) {
  return i < border || j < border || i >= h - border || j >= w - border;
}

WSR_HOST_DEVICE inline int64_t clamp_index(int64_t v, int64_t size) {
  return v < 0 ? 0 : (v >= size ? size - 1 : v);
}

// Largest translation along an axis of `size` pixels: round(fraction·size), halves rounding up.
// With fraction in [0, 1) it is at most size, so 2·max + 1 < 2^32 for sizes below 2^31.
WSR_HOST_DEVICE inline int64_t max_shift(double fraction, int64_t size) {
  return static_cast<int64_t>(rng::floor_small(rng::add(rng::mul(fraction, static_cast<double>(size)), 0.5)));
}

// Image `image`'s shift (dy, dx), each uniform over the integers in [−max, max]. The output pixel
// (i, j) shows the input pixel (i − dy, j − dx): the content moves dy rows down, dx columns right.
WSR_HOST_DEVICE inline void translation_shift(uint32_t seed, uint32_t stream, int64_t image, int64_t max_dy,
                                              int64_t max_dx, int64_t* dy, int64_t* dx) {
  const rng::Philox4 r = rng::draw(seed, stream, rng::kTranslation, static_cast<uint64_t>(image));
  *dy = static_cast<int64_t>(rng::uniform_below(r.v[0], static_cast<uint32_t>(2 * max_dy + 1))) - max_dy;
  *dx = static_cast<int64_t>(rng::uniform_below(r.v[1], static_cast<uint32_t>(2 * max_dx + 1))) - max_dx;
}

// Image `image`'s angle in degrees: max·(2u − 1) with u in (0, 1], so in (−max, max].
WSR_HOST_DEVICE inline double rotation_degrees(uint32_t seed, uint32_t stream, int64_t image, double max_degrees) {
  const rng::Philox4 r = rng::draw(seed, stream, rng::kRotation, static_cast<uint64_t>(image));
  return rng::mul(max_degrees, rng::sub(rng::mul(2.0, rng::uniform_open0(r.v[0])), 1.0));
}

struct Rotation {
  double sin, cos;
};

WSR_HOST_DEVICE inline Rotation rotation_by(double degrees) {
  Rotation r;
  rng::sincos_turns(rng::div(degrees, 360.0), &r.sin, &r.cos);
  return r;
}

// Where output pixel (i, j) samples the input: four neighbours (offsets within the plane) and the
// fractional position between them.
struct BilinearTap {
  int64_t o00, o01, o10, o11;
  double fx, fy;
};

// Rotating the content by θ counter-clockwise as displayed (rows run downward) about the image
// centre ((h−1)/2, (w−1)/2): the output pixel at offset (dy, dx) from the centre samples the input
// at (dy·cos θ + dx·sin θ, dx·cos θ − dy·sin θ) from it (at 90° that is numpy's rot90). Source
// coordinates outside the image are clamped to its edge: "nearest" fill.
WSR_HOST_DEVICE inline BilinearTap rotation_tap(const Rotation& r, int64_t i, int64_t j, int64_t h, int64_t w) {
  const double cy = rng::mul(static_cast<double>(h - 1), 0.5);
  const double cx = rng::mul(static_cast<double>(w - 1), 0.5);
  const double dy = rng::sub(static_cast<double>(i), cy);
  const double dx = rng::sub(static_cast<double>(j), cx);
  double sx = rng::add(cx, rng::sub(rng::mul(r.cos, dx), rng::mul(r.sin, dy)));
  double sy = rng::add(cy, rng::add(rng::mul(r.sin, dx), rng::mul(r.cos, dy)));
  const double max_x = static_cast<double>(w - 1), max_y = static_cast<double>(h - 1);
  sx = sx < 0.0 ? 0.0 : (sx > max_x ? max_x : sx);
  sy = sy < 0.0 ? 0.0 : (sy > max_y ? max_y : sy);
  const double fx0 = rng::floor_small(sx), fy0 = rng::floor_small(sy);  // sx, sy >= 0 and < 2^31
  const int64_t x0 = static_cast<int64_t>(fx0), y0 = static_cast<int64_t>(fy0);
  const int64_t x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
  return BilinearTap{y0 * w + x0, y0 * w + x1, y1 * w + x0, y1 * w + x1, rng::sub(sx, fx0), rng::sub(sy, fy0)};
}

// (1−fy)·((1−fx)·p00 + fx·p01) + fy·((1−fx)·p10 + fx·p11), in double, rounded once to float.
WSR_HOST_DEVICE inline float bilinear(const float* plane, const BilinearTap& t) {
  const double gx = rng::sub(1.0, t.fx), gy = rng::sub(1.0, t.fy);
  const double top = rng::add(rng::mul(gx, plane[t.o00]), rng::mul(t.fx, plane[t.o01]));
  const double bottom = rng::add(rng::mul(gx, plane[t.o10]), rng::mul(t.fx, plane[t.o11]));
  return static_cast<float>(rng::add(rng::mul(gy, top), rng::mul(t.fy, bottom)));
}

// Quadrant swap: the top-right and bottom-left quarters, each floor(h/2)×floor(w/2) and anchored at
// its corner, trade places; everything else (the other two quarters, and the middle row and
// column of odd sizes) stays. The source pixel of output pixel (i, j); swapping twice is the
// identity.
WSR_HOST_DEVICE inline void swap_source(int64_t i, int64_t j, int64_t h, int64_t w, int64_t* si, int64_t* sj) {
  const int64_t qh = h / 2, qw = w / 2;
  if (i < qh && j >= w - qw) {  // top-right shows bottom-left
    *si = i + (h - qh);
    *sj = j - (w - qw);
  } else if (i >= h - qh && j < qw) {  // bottom-left shows top-right
    *si = i - (h - qh);
    *sj = j + (w - qw);
  } else {
    *si = i;
    *sj = j;
  }
}

}  // namespace augment
}  // namespace wsr
