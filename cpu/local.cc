// Locally connected layer on the CPU: per output position, one GEMM between that position's
// filter bank and the patches of every image at that position (im2col per position).
//
// Positions are processed in groups: gather the group's operands in parallel, run one batched
// GEMM over the group's positions (sgemm_batched parallelises over positions and within each
// product, so few big positions and many small ones both use every thread), then scatter.
// The results do not depend on the thread count.
#include "local.h"

#include <algorithm>
#include <vector>

#include "gemm.h"
#include "parallel.h"

namespace wsr::cpu {
namespace {

// A group's gathered operands stay within this many floats per buffer (16 MiB).
constexpr int64_t kGroupFloats = int64_t{1} << 22;

int64_t group_size(const WindowGeometry& s) {
  const int64_t per_position = int64_t{s.n} * std::max<int64_t>(s.patch_size(), s.k);
  return std::clamp<int64_t>(kGroupFloats / std::max<int64_t>(per_position, 1), 1, s.positions());
}

// Grow-only scratch of the calling thread, reused across calls so a training step does not
// fault in fresh pages every time. Only the calling thread allocates; pool workers just use it.
thread_local std::vector<float> scratch_a, scratch_b;

float* scratch(std::vector<float>& buffer, int64_t floats) {
  if (buffer.size() < static_cast<size_t>(floats)) buffer.resize(static_cast<size_t>(floats));
  return buffer.data();
}

// The window of output position p: its top-left input pixel, and the kernel columns [lo, hi)
// that fall inside the image (the rest read the zero padding).
struct Window {
  int ih0, iw0, lo, hi;
};

Window window_at(const WindowGeometry& s, int64_t p) {
  const int oi = static_cast<int>(p / s.ow), oj = static_cast<int>(p % s.ow);
  Window win;
  win.ih0 = oi * s.stride_h - s.pad_top;
  win.iw0 = oj * s.stride_w - s.pad_left;
  win.lo = std::max(0, -win.iw0);
  win.hi = std::max(win.lo, std::min(s.kw, s.w - win.iw0));
  return win;
}

// row[c·kh·kw] = image n's patch at position p, zeros in the padding (im2col of one patch).
void gather_patch(const WindowGeometry& s, const float* x, int64_t n, int64_t p, float* row) {
  const Window win = window_at(s, p);
  for (int c = 0; c < s.c; ++c) {
    const float* plane = x + (n * s.c + c) * int64_t{s.h} * s.w;
    for (int ki = 0; ki < s.kh; ++ki) {
      float* dst = row + (int64_t{c} * s.kh + ki) * s.kw;
      const int ih = win.ih0 + ki;
      if (ih < 0 || ih >= s.h) {
        std::fill(dst, dst + s.kw, 0.f);
        continue;
      }
      const float* src = plane + int64_t{ih} * s.w;
      std::fill(dst, dst + win.lo, 0.f);
      for (int kj = win.lo; kj < win.hi; ++kj) dst[kj] = src[win.iw0 + kj];
      std::fill(dst + win.hi, dst + s.kw, 0.f);
    }
  }
}

// dx_plane (one channel c of one image) += the channel-c part of a patch gradient at position p.
void scatter_add_channel(const WindowGeometry& s, const float* row, int64_t p, int c, float* dx_plane) {
  const Window win = window_at(s, p);
  for (int ki = 0; ki < s.kh; ++ki) {
    const int ih = win.ih0 + ki;
    if (ih < 0 || ih >= s.h) continue;
    const float* src = row + (int64_t{c} * s.kh + ki) * s.kw;
    float* dst = dx_plane + int64_t{ih} * s.w;
    for (int kj = win.lo; kj < win.hi; ++kj) dst[win.iw0 + kj] += src[kj];
  }
}

// patches[j][n] = image n's patch at position g0 + j, for j < g.
void gather_group_patches(const WindowGeometry& s, const float* x, int64_t g0, int64_t g, float* patches) {
  const int64_t ckk = s.patch_size();
  // Image-major: consecutive patches of one image overlap, so their input rows stay in cache.
  parallel_for(g * s.n, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const int64_t n = i / g, j = i % g;
      gather_patch(s, x, n, g0 + j, patches + (j * s.n + n) * ckk);
    }
  });
}

// Moving data between the [n·k, P] layout of y and dy and the per-position [g][n·k] matrices of a
// group is a transpose. Done row by row, every access on one side lands n·k floats from the last
// (a new cache line, often a new page); in square tiles both sides stay in cache. Calls
// body(r0, r1, j0, j1) for the tiles of rows [0, rows) x group positions [0, g), in parallel
// over row tiles.
template <class Body>
void for_each_tile(int64_t rows, int64_t g, Body&& body) {
  constexpr int64_t kTile = 16;
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  parallel_for(row_tiles, [&](int64_t t0, int64_t t1) {
    for (int64_t r0 = t0 * kTile; r0 < std::min(rows, t1 * kTile); r0 += kTile)
      for (int64_t j0 = 0; j0 < g; j0 += kTile) body(r0, std::min(rows, r0 + kTile), j0, std::min(g, j0 + kTile));
  }, 4);
}

// dy_group[j][n, k] = dy[n, k, g0 + j]: each position's output gradient as an [n, k] matrix.
void gather_group_dy(const WindowGeometry& s, const float* dy, int64_t g0, int64_t g, float* dy_group) {
  const int64_t rows = int64_t{s.n} * s.k, P = s.positions();
  for_each_tile(rows, g, [&](int64_t r0, int64_t r1, int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j)
      for (int64_t r = r0; r < r1; ++r) dy_group[j * rows + r] = dy[r * P + g0 + j];
  });
}

// 2·MACs of any of the three passes.
double flops(const WindowGeometry& s) { return 2.0 * static_cast<double>(s.output_size()) * static_cast<double>(s.patch_size()); }

}  // namespace

void local2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y) {
  const OpSize size(flops(s));
  const int64_t P = s.positions(), N = s.n, K = s.k, ckk = s.patch_size(), bank = s.conv_weight_size();
  const int64_t G = group_size(s);
  float* patches = scratch(scratch_a, G * N * ckk);
  float* out = scratch(scratch_b, G * N * K);
  for (int64_t g0 = 0; g0 < P; g0 += G) {
    const int64_t g = std::min(G, P - g0);
    gather_group_patches(s, x, g0, g, patches);
    // out_p[n, k] = patches_p[n, :] · w_p[k, :]
    sgemm_batched(false, true, N, K, ckk, 1.f, patches, ckk, N * ckk, w + g0 * bank, ckk, bank, 0.f, out, K, N * K, g);
    // y[n, k, g0 + j] = out_j[n, k] + b[g0 + j, k]
    for_each_tile(N * K, g, [&](int64_t r0, int64_t r1, int64_t j0, int64_t j1) {
      // j outer: a tile's reads of out are contiguous, and its writes to y a short stride apart.
      for (int64_t j = j0; j < j1; ++j) {
        const float* bias = b ? b + (g0 + j) * K : nullptr;
        for (int64_t r = r0; r < r1; ++r) y[r * P + g0 + j] = out[j * N * K + r] + (bias ? bias[r % K] : 0.f);
      }
    });
  }
}

void local2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx) {
  const OpSize size(flops(s));
  const int64_t P = s.positions(), N = s.n, K = s.k, ckk = s.patch_size(), bank = s.conv_weight_size();
  const int64_t plane = int64_t{s.h} * s.w, planes = N * s.c;
  const int64_t G = group_size(s);
  float* dy_group = scratch(scratch_a, G * N * K);
  float* dpatches = scratch(scratch_b, G * N * ckk);
  parallel_for(planes, [&](int64_t i0, int64_t i1) { std::fill(dx + i0 * plane, dx + i1 * plane, 0.f); });
  for (int64_t g0 = 0; g0 < P; g0 += G) {
    const int64_t g = std::min(G, P - g0);
    gather_group_dy(s, dy, g0, g, dy_group);
    // dpatch_p[n, :] = dy_p[n, :] · w_p  (the gradient of every image's patch at p)
    sgemm_batched(false, false, N, ckk, K, 1.f, dy_group, K, N * K, w + g0 * bank, ckk, bank, 0.f, dpatches, ckk,
                  N * ckk, g);
    // col2im: each (image, channel) plane of dx belongs to one task, so adds never race and
    // happen in position order whatever the thread count.
    parallel_for(planes, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t n = i / s.c;
        const int c = static_cast<int>(i % s.c);
        for (int64_t j = 0; j < g; ++j) scatter_add_channel(s, dpatches + (j * N + n) * ckk, g0 + j, c, dx + i * plane);
      }
    });
  }
}

void local2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db) {
  const OpSize size(flops(s));
  const int64_t P = s.positions(), N = s.n, K = s.k, ckk = s.patch_size(), bank = s.conv_weight_size();
  const int64_t G = group_size(s);
  float* dy_group = scratch(scratch_a, G * N * K);
  float* patches = scratch(scratch_b, G * N * ckk);
  for (int64_t g0 = 0; g0 < P; g0 += G) {
    const int64_t g = std::min(G, P - g0);
    gather_group_dy(s, dy, g0, g, dy_group);
    gather_group_patches(s, x, g0, g, patches);
    // dw_p[k, :] = Σ_n dy_p[n, k] · patches_p[n, :]; positions are independent, so no reduction races.
    sgemm_batched(true, false, K, ckk, N, 1.f, dy_group, K, N * K, patches, ckk, N * ckk, 0.f, dw + g0 * bank, ckk,
                  bank, g);
    if (!db) continue;
    parallel_for(g, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        float* out = db + (g0 + j) * K;
        const float* src = dy_group + j * N * K;
        std::fill(out, out + K, 0.f);
        for (int64_t n = 0; n < N; ++n)
          for (int64_t k = 0; k < K; ++k) out[k] += src[n * K + k];
      }
    });
  }
}

void conv_to_local(int64_t positions, int64_t bank_size, int64_t k, const float* conv_w, const float* conv_b,
                   float* local_w, float* local_b) {
  parallel_for(positions, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      std::copy(conv_w, conv_w + bank_size, local_w + p * bank_size);
      if (conv_b && local_b) std::copy(conv_b, conv_b + k, local_b + p * k);
    }
  });
}

namespace {

// out[i] = mean over p of in[p·size + i], accumulated in double in position order.
void mean_over_positions(int64_t positions, int64_t size, const float* in, float* out) {
  parallel_for(size, [&](int64_t i0, int64_t i1) {
    std::vector<double> sum(static_cast<size_t>(i1 - i0), 0.0);
    for (int64_t p = 0; p < positions; ++p) {
      const float* src = in + p * size + i0;
      for (int64_t i = 0; i < i1 - i0; ++i) sum[i] += src[i];
    }
    for (int64_t i = 0; i < i1 - i0; ++i) out[i0 + i] = static_cast<float>(sum[i] / static_cast<double>(positions));
  }, 4096);
}

}  // namespace

void local_to_conv(int64_t positions, int64_t bank_size, int64_t k, const float* local_w, const float* local_b,
                   float* conv_w, float* conv_b) {
  mean_over_positions(positions, bank_size, local_w, conv_w);
  if (local_b && conv_b) mean_over_positions(positions, k, local_b, conv_b);
}

}  // namespace wsr::cpu
