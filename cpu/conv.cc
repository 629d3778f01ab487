// Convolution as GEMM: im2col turns each image's receptive fields into a matrix whose columns are
// output positions, so every pass is one matrix product per group of images:
//   forward          y[K, Q]  = W[K, P] · col[P, Q] + b
//   input gradient   dcol     = W^T · dy, then col2im scatters dcol back onto dx
//   weight gradient  dW[K, P] = Σ_images dy[K, Q] · col^T
// (P = c·kh·kw patch size, Q = oh·ow output positions per image.)
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "gemm.h"
#include "parallel.h"

namespace wsr::cpu {
namespace {

// Images per GEMM: late layers have few positions per image (9 or 25 in the CIFAR net), so several
// images share one GEMM until it has about this many columns.
constexpr int64_t kTargetColumns = 256;

// How a call uses the threads.
struct Plan {
  bool outer;      // parallel over images (serial GEMMs); else images in turn with parallel GEMMs
  int64_t chunk;   // images per im2col + GEMM
  bool pointwise;  // 1x1, stride 1, unpadded: the input image already is its column matrix
};

Plan make_plan(const WindowGeometry& s) {
  Plan p;
  // Parallel over images needs at least one image per thread; a smaller batch (inference on one
  // image) parallelises inside each GEMM instead.
  p.outer = s.n >= num_threads();
  p.pointwise = s.kh == 1 && s.kw == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 && s.pad_left == 0 &&
                s.oh == s.h && s.ow == s.w;
  p.chunk = p.pointwise ? 1 : std::max<int64_t>(1, (kTargetColumns + s.positions() - 1) / s.positions());
  return p;
}

// Per-thread scratch that grows on demand and is reused across calls (no allocation per call).
struct Scratch {
  std::vector<float> columns;  // im2col matrices
  std::vector<float> rows;     // gathered dy / GEMM results of several images
};
thread_local Scratch scratch;

float* grow(std::vector<float>& buffer, int64_t count) {
  if (buffer.size() < static_cast<size_t>(count)) buffer.resize(static_cast<size_t>(count));
  return buffer.data();
}

// Runs fn over [0, n) on the pool when `inner` (we are outside any parallel region), else serially.
template <class Fn>
void for_range(bool inner, int64_t n, const Fn& fn) {
  if (inner) {
    parallel_for(n, fn);
  } else {
    fn(int64_t{0}, n);
  }
}

void gemm(bool inner, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
          const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (inner) {
    sgemm_parallel(trans_a, trans_b, m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc);
  } else {
    sgemm(trans_a, trans_b, m, n, k, 1.f, a, lda, b, ldb, beta, c, ldc);
  }
}

// Output indices o in [lo, hi) whose tap reads inside the input: 0 <= o*stride - pad + tap < in.
struct Span {
  int64_t lo, hi;
};
Span valid_outputs(int64_t out, int64_t in, int64_t stride, int64_t pad, int64_t tap) {
  const int64_t first = tap - pad;  // input index read by output 0
  const int64_t lo = first >= 0 ? 0 : (-first + stride - 1) / stride;
  int64_t hi = in - 1 - first >= 0 ? (in - 1 - first) / stride + 1 : 0;
  hi = std::min(hi, out);
  return {std::min(lo, hi), hi};
}

// col[p][img·Q + q] for `images` consecutive images starting at x (row stride images·Q), where
// p = (ci·kh + i)·kw + j and q = oy·ow + ox: the input pixel under tap (i, j) of output (oy, ox), or 0
// in the padding.
void im2col(const WindowGeometry& s, const float* x, int64_t images, float* col, bool inner) {
  const int64_t q_count = s.positions(), cols = images * q_count;
  const int64_t plane = int64_t{s.h} * s.w, image = s.c * plane;
  for_range(inner, s.patch_size(), [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t ci = p / (s.kh * s.kw), i = p / s.kw % s.kh, j = p % s.kw;
      const Span ys = valid_outputs(s.oh, s.h, s.stride_h, s.pad_top, i);
      const Span xs = valid_outputs(s.ow, s.w, s.stride_w, s.pad_left, j);
      const int64_t x_offset = j - s.pad_left;  // input column = ox·stride + x_offset
      for (int64_t img = 0; img < images; ++img) {
        float* dst = col + p * cols + img * q_count;
        const float* src_plane = x + img * image + ci * plane;
        for (int64_t oy = 0; oy < s.oh; ++oy) {
          float* d = dst + oy * s.ow;
          if (oy < ys.lo || oy >= ys.hi) {
            std::fill(d, d + s.ow, 0.f);
            continue;
          }
          const float* src = src_plane + (oy * s.stride_h - s.pad_top + i) * s.w;
          std::fill(d, d + xs.lo, 0.f);
          if (s.stride_w == 1) {
            std::memcpy(d + xs.lo, src + xs.lo + x_offset, static_cast<size_t>(xs.hi - xs.lo) * sizeof(float));
          } else {
            for (int64_t ox = xs.lo; ox < xs.hi; ++ox) d[ox] = src[ox * s.stride_w + x_offset];
          }
          std::fill(d + xs.hi, d + s.ow, 0.f);
        }
      }
    }
  });
}

// The adjoint of im2col: dx = Σ over taps of the column entries that read each pixel. Overwrites
// the `images` images of dx. Parallel over input channels (each owns its planes) when `inner`.
void col2im(const WindowGeometry& s, const float* col, int64_t images, float* dx, bool inner) {
  const int64_t q_count = s.positions(), cols = images * q_count;
  const int64_t plane = int64_t{s.h} * s.w, image = s.c * plane;
  for_range(inner, s.c, [&](int64_t c0, int64_t c1) {
    for (int64_t img = 0; img < images; ++img) {
      for (int64_t ci = c0; ci < c1; ++ci) {
        float* dst_plane = dx + img * image + ci * plane;
        std::fill(dst_plane, dst_plane + plane, 0.f);
        for (int64_t i = 0; i < s.kh; ++i) {
          const Span ys = valid_outputs(s.oh, s.h, s.stride_h, s.pad_top, i);
          for (int64_t j = 0; j < s.kw; ++j) {
            const Span xs = valid_outputs(s.ow, s.w, s.stride_w, s.pad_left, j);
            const int64_t x_offset = j - s.pad_left;
            const float* src = col + ((ci * s.kh + i) * s.kw + j) * cols + img * q_count;
            for (int64_t oy = ys.lo; oy < ys.hi; ++oy) {
              float* d = dst_plane + (oy * s.stride_h - s.pad_top + i) * s.w;
              const float* r = src + oy * s.ow;
              // Distinct ox hit distinct pixels, so this loop has no dependences and vectorises.
              for (int64_t ox = xs.lo; ox < xs.hi; ++ox) d[ox * s.stride_w + x_offset] += r[ox];
            }
          }
        }
      }
    }
  });
}

// dst[r][img·Q + q] = src[img][r][q]: `images` [rows, Q] blocks side by side as one matrix.
void gather_images(const float* src, int64_t images, int64_t rows, int64_t q_count, float* dst, bool inner) {
  for_range(inner, rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t img = 0; img < images; ++img)
        std::memcpy(dst + (r * images + img) * q_count, src + (img * rows + r) * q_count,
                    static_cast<size_t>(q_count) * sizeof(float));
  });
}

// The inverse of gather_images, adding bias[r] (when given) on the way.
void scatter_images(const float* src, int64_t images, int64_t rows, int64_t q_count, const float* bias, float* dst,
                    bool inner) {
  for_range(inner, rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float add = bias ? bias[r] : 0.f;
      for (int64_t img = 0; img < images; ++img) {
        const float* s = src + (r * images + img) * q_count;
        float* d = dst + (img * rows + r) * q_count;
        for (int64_t q = 0; q < q_count; ++q) d[q] = s[q] + add;
      }
    }
  });
}

void add_bias(const float* bias, int64_t rows, int64_t q_count, float* y, bool inner) {
  if (!bias) return;
  for_range(inner, rows, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* d = y + r * q_count;
      for (int64_t q = 0; q < q_count; ++q) d[q] += bias[r];
    }
  });
}

// Images [first, last) of the forward pass, `plan.chunk` at a time.
void forward_images(const WindowGeometry& s, const Plan& plan, bool inner, const float* x, const float* w,
                    const float* b, float* y, int64_t first, int64_t last) {
  const int64_t P = s.patch_size(), Q = s.positions();
  const int64_t in_image = int64_t{s.c} * s.h * s.w, out_image = int64_t{s.k} * Q;
  for (int64_t i0 = first; i0 < last; i0 += plan.chunk) {
    const int64_t images = std::min(plan.chunk, last - i0), cols = images * Q;
    const float* col = x + i0 * in_image;  // pointwise: chunk is 1 and the image is [c, Q]
    if (!plan.pointwise) {
      float* buffer = grow(scratch.columns, P * cols);
      im2col(s, x + i0 * in_image, images, buffer, inner);
      col = buffer;
    }
    if (images == 1) {
      float* out = y + i0 * out_image;
      gemm(inner, false, false, s.k, Q, P, w, P, col, Q, 0.f, out, Q);
      add_bias(b, s.k, Q, out, inner);
    } else {
      float* result = grow(scratch.rows, s.k * cols);
      gemm(inner, false, false, s.k, cols, P, w, P, col, cols, 0.f, result, cols);
      scatter_images(result, images, s.k, Q, b, y + i0 * out_image, inner);
    }
  }
}

// Images [first, last) of the input gradient.
void backward_input_images(const WindowGeometry& s, const Plan& plan, bool inner, const float* dy, const float* w,
                           float* dx, int64_t first, int64_t last) {
  const int64_t P = s.patch_size(), Q = s.positions();
  const int64_t in_image = int64_t{s.c} * s.h * s.w, out_image = int64_t{s.k} * Q;
  for (int64_t i0 = first; i0 < last; i0 += plan.chunk) {
    const int64_t images = std::min(plan.chunk, last - i0), cols = images * Q;
    const float* grad = dy + i0 * out_image;
    if (images > 1) {
      float* buffer = grow(scratch.rows, s.k * cols);
      gather_images(grad, images, s.k, Q, buffer, inner);
      grad = buffer;
    }
    if (plan.pointwise) {  // dx[c, Q] = W^T[c, k] · dy[k, Q] directly
      gemm(inner, true, false, s.c, Q, s.k, w, P, grad, Q, 0.f, dx + i0 * in_image, Q);
    } else {
      float* dcol = grow(scratch.columns, P * cols);
      gemm(inner, true, false, P, cols, s.k, w, P, grad, cols, 0.f, dcol, cols);
      col2im(s, dcol, images, dx + i0 * in_image, inner);
    }
  }
}

// dW over images [first, last) into acc[K, P] (overwritten; zero when the range is empty).
void backward_weight_images(const WindowGeometry& s, const Plan& plan, bool inner, const float* x, const float* dy,
                            float* acc, int64_t first, int64_t last) {
  const int64_t P = s.patch_size(), Q = s.positions();
  const int64_t in_image = int64_t{s.c} * s.h * s.w, out_image = int64_t{s.k} * Q;
  if (first >= last) {
    std::fill(acc, acc + s.k * P, 0.f);
    return;
  }
  for (int64_t i0 = first; i0 < last; i0 += plan.chunk) {
    const int64_t images = std::min(plan.chunk, last - i0), cols = images * Q;
    const float* col = x + i0 * in_image;
    if (!plan.pointwise) {
      float* buffer = grow(scratch.columns, P * cols);
      im2col(s, x + i0 * in_image, images, buffer, inner);
      col = buffer;
    }
    const float* grad = dy + i0 * out_image;
    if (images > 1) {
      float* buffer = grow(scratch.rows, s.k * cols);
      gather_images(grad, images, s.k, Q, buffer, inner);
      grad = buffer;
    }
    gemm(inner, false, true, s.k, P, cols, grad, cols, col, cols, i0 == first ? 0.f : 1.f, acc, P);
  }
}

// Σ of n floats in a fixed order; eight independent lanes so the loop vectorises without -ffast-math.
double sum_floats(const float* v, int64_t n) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lanes[l] += v[i + l];
  double total = 0;
  for (int l = 0; l < 8; ++l) total += lanes[l];
  for (; i < n; ++i) total += v[i];
  return total;
}

// 2·MACs of any of the three passes.
double flops(const WindowGeometry& s) { return 2.0 * static_cast<double>(s.output_size()) * static_cast<double>(s.patch_size()); }

}  // namespace

void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y) {
  const OpSize size(flops(s));
  const Plan plan = make_plan(s);
  if (plan.outer) {
    parallel_for(s.n, [&](int64_t first, int64_t last) { forward_images(s, plan, false, x, w, b, y, first, last); });
  } else {
    forward_images(s, plan, true, x, w, b, y, 0, s.n);
  }
}

void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx) {
  const OpSize size(flops(s));
  const Plan plan = make_plan(s);
  if (plan.outer) {
    parallel_for(s.n, [&](int64_t first, int64_t last) {
      backward_input_images(s, plan, false, dy, w, dx, first, last);
    });
  } else {
    backward_input_images(s, plan, true, dy, w, dx, 0, s.n);
  }
}

void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db) {
  const OpSize size(flops(s));
  const Plan plan = make_plan(s);
  const int64_t KP = s.conv_weight_size();
  if (plan.outer) {
    // One image range per thread, each summing into its own dW (slot 0 straight into dw), then a
    // reduction in slot order: the result depends on the thread count only, never on timing.
    const int64_t slots = num_threads();
    std::unique_ptr<float[]> partial(new float[static_cast<size_t>((slots - 1) * KP)]);
    parallel_for(
        slots,
        [&](int64_t slot0, int64_t slot1) {
          for (int64_t slot = slot0; slot < slot1; ++slot) {
            float* acc = slot == 0 ? dw : partial.get() + (slot - 1) * KP;
            backward_weight_images(s, plan, false, x, dy, acc, s.n * slot / slots, s.n * (slot + 1) / slots);
          }
        },
        1);
    parallel_for(
        KP,
        [&](int64_t i0, int64_t i1) {
          for (int64_t slot = 1; slot < slots; ++slot) {
            const float* part = partial.get() + (slot - 1) * KP;
            for (int64_t i = i0; i < i1; ++i) dw[i] += part[i];
          }
        },
        4096);
  } else {
    backward_weight_images(s, plan, true, x, dy, dw, 0, s.n);
  }
  if (db) {
    const int64_t Q = s.positions();
    parallel_for(s.k, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        double total = 0;
        for (int64_t img = 0; img < s.n; ++img) total += sum_floats(dy + (img * s.k + k) * Q, Q);
        db[k] = static_cast<float>(total);
      }
    });
  }
}

}  // namespace wsr::cpu
