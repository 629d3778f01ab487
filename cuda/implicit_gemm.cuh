// The implicit-GEMM engine: one tiled kernel for every product of the conv, locally connected and dense
// layers,
//     C[m, n] = Σ_r A(m, r) · B(r, n)      for r in [0, R),
// with A and B read straight from the tensors (no im2col buffer) and C written straight to its place. What
// differs between the products is only where an element lives, which three small descriptors say:
//   Axis     an index split into mixed-radix digits, each digit moving a memory offset (and, for a window
//            gather, the window row y or column x) by its own stride;
//   Operand  A or B: element (f, r) sits at base[off0 + offset(f) + offset(r)] and is read when its window
//            coordinates y, x fall inside h × w, else it is 0 (padding, or taps that miss a small output);
//   Output   C[m, n] goes to base[off0 + m·sm + offset(n)], plus a bias when there is one.
// A Problem (Batch, or DgradPhases) hands the kernel the Gemm of each item: LC positions, dgrad stride
// phases, or a single product. Each item's reduction may be split into slices (split-K) whose partial sums
// a second kernel adds in slice order: deterministic, no float atomics.
//
// This header describes products (conv.cu, local.cu and dense.cu build them); implicit_gemm.cu holds the
// kernels and the planner, and instantiates run() for each Layout and Problem the launchers use.
#pragma once
#include "cuda/prelude.cuh"

#include "common/window_geometry.h"
#include "cuda/implicit_gemm.h"

namespace wsr::cuda::igemm {

// ---- Descriptors ------------------------------------------------------------------------------------

// Index i = (d0·r1 + d1)·r2 + d2 with d1 < r1, d2 < r2 (d0 unbounded). Digit k moves the offset by s_k;
// d1 moves the window row by cy and d2 the window column by cx.
struct Axis {
  int r1 = 1, r2 = 1;
  int s0 = 0, s1 = 0, s2 = 0;
  int cy = 0, cx = 0;
};

// A plain stride: offset(i) = i·stride.
__host__ __device__ inline Axis strided(int stride) {
  Axis a;
  a.s0 = stride;
  return a;
}

// A fixed step along an axis, as digit increments (each below its radix) and the offset changes of the step
// itself and of the two carries. Made once per product (make_steps), so the reduction loop never divides.
struct Step {
  int count = 0, e1 = 0, e2 = 0, off = 0;
  int carry2 = 0;  // d2 wraps: d1 += 1
  int carry1 = 0;  // d1 wraps: d0 += 1
};
__host__ __device__ inline Step make_step(const Axis& a, int count) {
  const int e2 = count % a.r2, q = count / a.r2, e1 = q % a.r1, e0 = q / a.r1;
  return {count, e1, e2, e0 * a.s0 + e1 * a.s1 + e2 * a.s2, a.s1 - a.r2 * a.s2, a.s0 - a.r1 * a.s1};
}

// A or B: element (f, r) (f the free index, m for A or n for B; r the reduction index) is
//   inside(y, h) && inside(x, w) ? base[off0 + offset_free(f) + offset_red(r)] : 0,
// y = y0 + y_free(f) + y_red(r) (likewise x). A plain matrix keeps h = w = 1 and no coordinates.
struct Operand {
  const float* base = nullptr;
  Axis free, red;
  int off0 = 0, y0 = 0, x0 = 0;
  int h = 1, w = 1;
  Step step, unit;  // along red: one stage (8 steps) and one step
};

// C[m, n] (+ bias[m·bias_sm + n·bias_sn] when bias is not null) goes to base[off0 + m·sm + offset(n)].
struct Output {
  float* base = nullptr;
  int sm = 0;
  Axis n;
  int off0 = 0;
  const float* bias = nullptr;
  int bias_sm = 0, bias_sn = 0;
  Step col_step;  // along n: 16 columns (a thread's next column)
};

struct Gemm {
  int m = 0, n = 0, r = 0;
  Operand a, b;
  Output c;
};

// A plain operand: element (f, r) at base[offset_free(f) + offset_red(r)], no window.
__host__ __device__ inline Operand matrix(const float* base, const Axis& free, const Axis& red) {
  Operand o;
  o.base = base;
  o.free = free;
  o.red = red;
  return o;
}
// C[m, n] at base[m·sm + offset(n)] (row-major with row stride sm, by default).
__host__ __device__ inline Output rows(float* base, int sm, const Axis& n = strided(1)) {
  Output c;
  c.base = base;
  c.sm = sm;
  c.n = n;
  return c;
}

constexpr int kStep = 8;   // reduction steps per shared-memory stage
constexpr int kSide = 16;  // threads per side of the 16 × 16 thread grid

// The steps every product needs; called once its axes are set.
__host__ __device__ inline void make_steps(Gemm& g) {
  g.a.step = make_step(g.a.red, kStep);
  g.a.unit = make_step(g.a.red, 1);
  g.b.step = make_step(g.b.red, kStep);
  g.b.unit = make_step(g.b.red, 1);
  g.c.col_step = make_step(g.c.n, kSide);
}

// Where item z of a problem sits relative to its Gemm: pointer moves, and window moves of A and B.
struct Shift {
  int64_t a = 0, b = 0, c = 0, bias = 0;
  int ay = 0, ax = 0, by = 0, bx = 0;
};

// A batch of same-shaped products laid out on a grid `items_w` wide (an LC layer's output positions; a
// plain batch when items_w is 1): item z = (zy, zx) = (z / items_w, z % items_w) moves each pointer by
// zy·row + zx·col and a window operand's window by zy·dy rows and zx·dx columns.
struct Move {
  int64_t row = 0, col = 0;
  int dy = 0, dx = 0;
};

struct Batch {
  static constexpr int kLargestTile = 128;
  Gemm g;
  int items = 1, items_w = 1;
  Move a, b, c, bias;

  // The item's product (the same for every item: read from the kernel's parameters) and its shift.
  __device__ const Gemm& gemm(int, Gemm&) const { return g; }
  __device__ Shift shift(int z) const {
    const int zy = z / items_w, zx = z - zy * items_w;
    Shift s;
    s.a = zy * a.row + zx * a.col;
    s.b = zy * b.row + zx * b.col;
    s.c = zy * c.row + zx * c.col;
    s.bias = zy * bias.row + zx * bias.col;
    s.ay = zy * a.dy, s.ax = zx * a.dx, s.by = zy * b.dy, s.bx = zx * b.dx;
    return s;
  }
};

// Whether an operand is a window gather: kPlain, a matrix (no bounds); kWindow, its window coordinates come
// from both indices; kFixedWindow, from the reduction index only (the free axis has no coordinates, as
// images of one LC position), so a thread checks the bounds once for all its slots.
enum Window { kPlain, kWindow, kFixedWindow };

// How each operand is read: AlongR, consecutive threads take consecutive reduction steps (for an operand
// contiguous along r), else consecutive free indices; and its Window kind.
template <bool AAlongR, bool BAlongR, Window AWindow, Window BWindow>
struct Layout {
  static constexpr bool kAAlongR = AAlongR, kBAlongR = BAlongR;
  static constexpr Window kAWindow = AWindow, kBWindow = BWindow;
};

// ---- Views of a window layer's input -------------------------------------------------------------------

// Output pixels (img, oy, ox) as an axis of x: the window's top-left corner.
__host__ __device__ inline Axis pixel_axis(const WindowGeometry& s) {
  return Axis{s.oh, s.ow, s.c * s.h * s.w, s.stride_h * s.w, s.stride_w, s.stride_h, s.stride_w};
}
// Kernel taps (c, i, j) as an axis of x: the offset within a window.
__host__ __device__ inline Axis tap_axis(const WindowGeometry& s) { return Axis{s.kh, s.kw, s.h * s.w, s.w, 1, 1, 1}; }
// x through its windows: element (f, r) = x[img, c, oy·stride_h − pad_top + i, ox·stride_w − pad_left + j]
// where one of the axes carries (img, oy, ox) and the other (c, i, j); 0 in the padding.
__host__ __device__ inline Operand windows_of(const WindowGeometry& s, const float* x, const Axis& free, const Axis& red) {
  Operand o;
  o.base = x;
  o.free = free;
  o.red = red;
  o.off0 = -s.pad_top * s.w - s.pad_left;
  o.y0 = -s.pad_top;
  o.x0 = -s.pad_left;
  o.h = s.h;
  o.w = s.w;
  return o;
}

// ---- Running a problem ------------------------------------------------------------------------------

// A conv input gradient by stride phases, one item per phase (conv.cu says when it is used). Phase (qy, qx):
// input pixels iy = qy + stride_h·a, ix = qx + stride_w·b. The taps reaching them are i = py + stride_h·ti
// with py = (qy + pad_top) mod stride_h (likewise j), and tap (ti, tj) of pixel (a, b) reads output pixel
// (oy0 + a − ti, ox0 + b − tj), oy0 = (qy + pad_top − py) / stride_h (an exact division).
struct DgradPhases {
  // 64 tiles only: each phase's descriptors are computed per item and held in registers, which the 128
  // tile's accumulators need.
  static constexpr int kLargestTile = 64;
  WindowGeometry s;
  const float* dy;
  const float* w;
  float* dx;
  int phases_w;  // phases per row: min(stride_w, w); items = phases_h · phases_w
  int items;

  __host__ __device__ static int taps_of(int offset, int kernel, int stride) {
    return offset < kernel ? static_cast<int>(ceil_div(kernel - offset, stride)) : 0;
  }

  __device__ const Gemm& gemm(int phase, Gemm& g) const {
    g = item(phase);
    return g;
  }
  __device__ Shift shift(int) const { return {}; }

  __host__ __device__ Gemm item(int phase) const {
    const int qy = phase / phases_w, qx = phase - qy * phases_w;
    const int py = (qy + s.pad_top) % s.stride_h, px = (qx + s.pad_left) % s.stride_w;
    const int th = taps_of(py, s.kh, s.stride_h), tw = taps_of(px, s.kw, s.stride_w);
    const int rows = static_cast<int>(ceil_div(s.h - qy, s.stride_h)), cols = static_cast<int>(ceil_div(s.w - qx, s.stride_w));
    const int oy0 = (qy + s.pad_top - py) / s.stride_h, ox0 = (qx + s.pad_left - px) / s.stride_w;
    const int taps = s.kh * s.kw, P = s.oh * s.ow;
    // A phase that no tap reaches (stride > kernel) has an empty reduction: its pixels get 0.
    const int ty = th > 0 && tw > 0 ? th : 1, tx = th > 0 && tw > 0 ? tw : 1;
    Gemm g;
    g.m = s.c;
    g.n = s.n * rows * cols;
    g.r = s.k * th * tw;
    g.a.base = w;  // w[k, c, py + stride_h·ti, px + stride_w·tj]: m = c, r = (k, ti, tj)
    g.a.free = strided(taps);
    g.a.red = Axis{ty, tx, s.c * taps, s.stride_h * s.kw, s.stride_w};
    g.a.off0 = py * s.kw + px;
    g.b.base = dy;  // dy[img, k, oy0 + a − ti, ox0 + b − tj]: n = (img, a, b), r = (k, ti, tj); 0 off the output
    g.b.free = Axis{rows, cols, s.k * P, s.ow, 1, 1, 1};
    g.b.red = Axis{ty, tx, P, -s.ow, -1, -1, -1};
    g.b.off0 = oy0 * s.ow + ox0;
    g.b.y0 = oy0;
    g.b.x0 = ox0;
    g.b.h = s.oh;
    g.b.w = s.ow;
    g.c.base = dx;  // dx[img, c, qy + stride_h·a, qx + stride_w·b]
    g.c.sm = s.h * s.w;
    g.c.n = Axis{rows, cols, s.c * s.h * s.w, s.stride_h * s.w, s.stride_w};
    g.c.off0 = qy * s.w + qx;
    make_steps(g);
    return g;
  }
};

// Runs problem p (p.items products, each at most max_m × max_n) with `plan`; `partials` holds
// split_floats(plan, max_m·max_n, p.items) floats when the plan splits. `what` names the launcher in errors.
// Defined in implicit_gemm.cu for the Layout and Problem pairs the launchers use (another is a link error).
template <class L, class Problem>
void run(const Problem& p, int64_t max_m, int64_t max_n, const GemmPlan& plan, float* partials, const char* what);

}  // namespace wsr::cuda::igemm
