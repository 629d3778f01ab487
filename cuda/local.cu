// Locally connected layer on the GPU. Every operation is one small GEMM per output position p, all of them
// one launch of the implicit-GEMM engine (cuda/implicit_gemm.cuh: a batch of items laid out on the oh × ow
// grid, each moving its pointers and its window to its position); R = c·kh·kw taps:
//   forward  y_p[img, k]      = Σ_r patch_p[img, r] · w_p[k, r]   (+ b_p[k])   into yT [P, N, K]
//   dgrad    dpatch_p[img, r] = Σ_k dyT_p[img, k] · w_p[k, r]                  into [P, N, R], summed into dx
//   wgrad    dw_p[k, r]       = Σ_img dyT_p[img, k] · patch_p[img, r]
// with the patches read straight from x. The activations' gradient dy [N, K, P] has a position's values P
// apart; it is first transposed to dyT [P, N, K] in the workspace, and the forward writes yT [P, N, K] and
// transposes it into y, so every operand of a position's product is contiguous where its kernel reads it.
// A position's bank w_p = w[p] is one contiguous [k, c·kh·kw] block, so both it and dw_p are read and
// written along consecutive addresses.
#include "cuda/prelude.cuh"

#include "cuda/implicit_gemm.cuh"
#include "cuda/local.h"
#include "cuda/window_layout.h"

namespace wsr::cuda {
namespace {

using igemm::Batch;
using igemm::Gemm;
using igemm::strided;

int patch(const WindowGeometry& s) { return static_cast<int>(s.patch_size()); }
__host__ __device__ int64_t nk(const WindowGeometry& s) { return int64_t{s.n} * s.k; }  // a position's [N, K] block

// One item per output position, on the oh × ow grid.
Batch per_position(const WindowGeometry& s) {
  Batch p;
  p.items = static_cast<int>(s.positions());
  p.items_w = s.ow;
  return p;
}
// A per-position block of `size` floats: position (oy, ox) at (oy·ow + ox)·size.
igemm::Move blocks_of(const WindowGeometry& s, int64_t size) { return {s.ow * size, size}; }
// x's windows, the window of position (oy, ox) moved by (oy·stride_h, ox·stride_w).
igemm::Move windows_moving(const WindowGeometry& s) { return {int64_t{s.stride_h} * s.w, s.stride_w, s.stride_h, s.stride_w}; }

// Forward: m = img, n = k, r = (c, i, j); A = position p's window of each image, B = w_p.
Batch forward_problem(const WindowGeometry& s, const float* x, const float* w, const float* b, float* yT) {
  Batch p = per_position(s);
  Gemm& g = p.g;
  g.m = s.n;
  g.n = s.k;
  g.r = patch(s);
  g.a = igemm::windows_of(s, x, strided(s.c * s.h * s.w), igemm::tap_axis(s));
  p.a = windows_moving(s);
  g.b = igemm::matrix(w, strided(patch(s)), strided(1));  // w_p[k, r]
  p.b = blocks_of(s, s.conv_weight_size());
  g.c = igemm::rows(yT, s.k);
  p.c = blocks_of(s, nk(s));
  g.c.bias = b;  // b_p[k]
  g.c.bias_sn = 1;
  p.bias = blocks_of(s, s.k);
  igemm::make_steps(g);
  return p;
}

// dgrad's first half: m = img, n = r, reduction k; A = dyT_p [N, K], B = w_p [K, R].
Batch patch_grad_problem(const WindowGeometry& s, const float* dyT, const float* w, float* dpatch) {
  Batch p = per_position(s);
  Gemm& g = p.g;
  g.m = s.n;
  g.n = patch(s);
  g.r = s.k;
  g.a = igemm::matrix(dyT, strided(s.k), strided(1));
  p.a = blocks_of(s, nk(s));
  g.b = igemm::matrix(w, strided(1), strided(patch(s)));
  p.b = blocks_of(s, s.conv_weight_size());
  g.c = igemm::rows(dpatch, patch(s));
  p.c = blocks_of(s, int64_t{s.n} * patch(s));
  igemm::make_steps(g);
  return p;
}

// wgrad: m = k, n = r, reduction img; A = dyT_p [N, K] (along k), B = position p's windows.
Batch weight_grad_problem(const WindowGeometry& s, const float* x, const float* dyT, float* dw) {
  Batch p = per_position(s);
  Gemm& g = p.g;
  g.m = s.k;
  g.n = patch(s);
  g.r = s.n;
  g.a = igemm::matrix(dyT, strided(1), strided(s.k));
  p.a = blocks_of(s, nk(s));
  g.b = igemm::windows_of(s, x, igemm::tap_axis(s), strided(s.c * s.h * s.w));
  p.b = windows_moving(s);
  g.c = igemm::rows(dw, patch(s));
  p.c = blocks_of(s, s.conv_weight_size());
  igemm::make_steps(g);
  return p;
}

GemmPlan forward_plan(const WindowGeometry& s) { return plan_gemm(s.n, s.k, s.patch_size(), s.positions()); }
GemmPlan patch_grad_plan(const WindowGeometry& s) { return plan_gemm(s.n, s.patch_size(), s.k, s.positions()); }
GemmPlan weight_grad_plan(const WindowGeometry& s) { return plan_gemm(s.k, s.patch_size(), s.n, s.positions()); }

// Workspace layout of each launcher: yT or dyT first ([P, N, K], the output's size), then dgrad's patch
// gradients, then split partial sums.
int64_t transposed_floats(const WindowGeometry& s) { return s.output_size(); }
int64_t patch_grad_floats(const WindowGeometry& s) { return s.positions() * s.n * s.patch_size(); }

// Every 32-bit index of these products stays in range: one position's blocks and the whole x.
void require_indexable(const WindowGeometry& s, const char* what) {
  require_int32(int64_t{s.n} * s.patch_size(), what);
  require_int32(s.conv_weight_size(), what);
}

// db[p, k] = Σ_img dyT[p, img, k]: one thread per (p, k), consecutive threads on consecutive k; images in order.
__global__ void bias_grad_kernel(const WindowGeometry s, const float* dyT, float* db) {
  const int64_t total = int64_t{s.oh} * s.ow * s.k;
  for (int64_t t = grid_start(); t < total; t += grid_step()) {
    const int64_t p = t / s.k, k = t - p * s.k;
    const float* column = dyT + p * nk(s) + k;
    float sum = 0.f;
    for (int img = 0; img < s.n; ++img) sum += column[int64_t{img} * s.k];
    db[t] = sum;
  }
}

// dst[p, i] = src[i] for p < positions: consecutive threads copy consecutive elements.
__global__ void tile_kernel(int64_t positions, int64_t size, const float* src, float* dst) {
  const int64_t total = positions * size;
  for (int64_t t = grid_start(); t < total; t += grid_step()) dst[t] = src[t % size];
}

// dst[i] = mean over p of src[p, i], summed in double in position order (as the CPU does).
__global__ void mean_kernel(int64_t positions, int64_t size, const float* src, float* dst) {
  for (int64_t i = grid_start(); i < size; i += grid_step()) {
    double sum = 0.0;
    for (int64_t p = 0; p < positions; ++p) sum += src[p * size + i];
    dst[i] = static_cast<float>(sum / static_cast<double>(positions));
  }
}

// Which operand is read along its reduction (true) or its free index, and which is a window gather.
using igemm::kFixedWindow;
using igemm::kPlain;
using igemm::kWindow;
using WindowsTimesBank = igemm::Layout<true, true, kFixedWindow, kPlain>;  // forward: x windows along r, w_p along r
using GradTimesBank = igemm::Layout<true, false, kPlain, kPlain>;          // dgrad: dyT_p along k, w_p along r
using GradTimesWindows = igemm::Layout<false, false, kPlain, kWindow>;     // wgrad: dyT_p along k, windows along r

}  // namespace

size_t local2d_forward_workspace(const WindowGeometry& s) {
  return static_cast<size_t>(transposed_floats(s) + split_floats(forward_plan(s), nk(s), s.positions()));
}

void local2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y,
                     float* workspace) {
  require_indexable(s, "local2d_forward");
  float* yT = workspace;
  igemm::run<WindowsTimesBank>(forward_problem(s, x, w, b, yT), s.n, s.k, forward_plan(s),
                               workspace + transposed_floats(s), "local2d_forward");
  transpose(s.positions(), nk(s), yT, y, "local2d_forward");
}

size_t local2d_backward_input_workspace(const WindowGeometry& s) {
  return static_cast<size_t>(transposed_floats(s) + patch_grad_floats(s) +
                             split_floats(patch_grad_plan(s), int64_t{s.n} * s.patch_size(), s.positions()));
}

void local2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx, float* workspace) {
  require_indexable(s, "local2d_backward_input");
  float* dyT = workspace;
  float* dpatch = dyT + transposed_floats(s);
  transpose(nk(s), s.positions(), dy, dyT, "local2d_backward_input");
  igemm::run<GradTimesBank>(patch_grad_problem(s, dyT, w, dpatch), s.n, s.patch_size(), patch_grad_plan(s),
                            dpatch + patch_grad_floats(s), "local2d_backward_input");
  sum_patch_gradients(s, dpatch, s.patch_size(), int64_t{s.n} * s.patch_size(), dx, "local2d_backward_input");
}

size_t local2d_backward_weight_workspace(const WindowGeometry& s) {
  return static_cast<size_t>(transposed_floats(s) + split_floats(weight_grad_plan(s), s.conv_weight_size(), s.positions()));
}

void local2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db,
                             float* workspace) {
  require_indexable(s, "local2d_backward_weight");
  float* dyT = workspace;
  transpose(nk(s), s.positions(), dy, dyT, "local2d_backward_weight");
  igemm::run<GradTimesWindows>(weight_grad_problem(s, x, dyT, dw), s.k, s.patch_size(), weight_grad_plan(s),
                               dyT + transposed_floats(s), "local2d_backward_weight");
  if (!db || s.positions() * s.k == 0) return;
  bias_grad_kernel<<<blocks_for(s.positions() * s.k), kThreads>>>(s, dyT, db);
  check_launch("local2d_backward_weight/bias_grad");
}

void conv_to_local(int64_t positions, int64_t bank_size, int64_t k, const float* conv_w, const float* conv_b,
                   float* local_w, float* local_b) {
  if (positions * bank_size > 0) {
    tile_kernel<<<blocks_for(positions * bank_size), kThreads>>>(positions, bank_size, conv_w, local_w);
    check_launch("conv_to_local/tile");
  }
  if (!conv_b || !local_b || positions * k == 0) return;
  tile_kernel<<<blocks_for(positions * k), kThreads>>>(positions, k, conv_b, local_b);
  check_launch("conv_to_local/tile bias");
}

void local_to_conv(int64_t positions, int64_t bank_size, int64_t k, const float* local_w, const float* local_b,
                   float* conv_w, float* conv_b) {
  if (bank_size > 0) {
    mean_kernel<<<blocks_for(bank_size), kThreads>>>(positions, bank_size, local_w, conv_w);
    check_launch("local_to_conv/mean");
  }
  if (!local_b || !conv_b || k == 0) return;
  mean_kernel<<<blocks_for(k), kThreads>>>(positions, k, local_b, conv_b);
  check_launch("local_to_conv/mean bias");
}

}  // namespace wsr::cuda
