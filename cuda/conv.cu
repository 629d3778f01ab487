// Convolution on the GPU. Every operation is an implicit GEMM run by the engine (cuda/implicit_gemm.cuh)
// with the operands read straight from x, w and dy; P = oh·ow output positions, R = c·kh·kw taps:
//   forward   y[img, k, p] = Σ_r w[k, r] · x_patch(img, p)[r]              m = k, n = (img, p), r = (c, i, j)
//   wgrad     dw[k, r]     = Σ_(img, p) dy[img, k, p] · x_patch(img, p)[r]  m = k, n = (c, i, j), r = (img, p)
//   dgrad, whichever way costs less for the shape:
//     stride phases: input pixels whose row has the same (iy + pad_top) mod stride_h (and likewise columns)
//       receive contributions from the same taps only, so each phase is a dense GEMM over just those taps:
//       m = c, n = the phase's pixels, r = (k, the phase's taps);
//     patch gradients: dpatch[(img, p), r] = Σ_k dy[img, k, p] · w[k, r], then summed into dx (col2im). It
//       multiplies only (pixel, tap) pairs that land on an output position, so a tiny output (conv3's 3 × 3,
//       conv2's 5 × 5) wastes nothing on taps falling outside it, where the phases' windows mostly would.
// Reductions too short to fill the GPU are split (split-K) and their partial sums added in a fixed order.
#include "cuda/prelude.cuh"

#include "cuda/conv.h"
#include "cuda/implicit_gemm.cuh"
#include "cuda/window_layout.h"

namespace wsr::cuda {
namespace {

using igemm::Axis;
using igemm::Batch;
using igemm::DgradPhases;
using igemm::Gemm;
using igemm::strided;
// Which operand is read along its reduction (R) or along its free index (F), and which is a window gather.
using WeightTimesWindows = igemm::Layout<true, false, igemm::kPlain, igemm::kWindow>;  // A: w, dy along r; B: windows
using PlainAlongFree = igemm::Layout<false, false, igemm::kPlain, igemm::kPlain>;    // A: dy pixels; B: w columns

int patch(const WindowGeometry& s) { return static_cast<int>(s.patch_size()); }
int positions(const WindowGeometry& s) { return static_cast<int>(s.positions()); }

// dy (or y) [img, k, p] with its pixel (img, p) as one index: offset img·k·P + p.
Axis dy_pixels(const WindowGeometry& s) { return Axis{1, positions(s), s.k * positions(s), 0, 1}; }

// ---- forward and weight gradient -----------------------------------------------------------------------

Batch forward_problem(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y) {
  Batch p;
  Gemm& g = p.g;
  g.m = s.k;
  g.n = s.n * positions(s);
  g.r = patch(s);
  g.a = igemm::matrix(w, strided(patch(s)), strided(1));  // w[k, r]
  g.b = igemm::windows_of(s, x, igemm::pixel_axis(s), igemm::tap_axis(s));
  g.c = igemm::rows(y, positions(s), dy_pixels(s));
  g.c.bias = b;
  g.c.bias_sm = 1;
  igemm::make_steps(g);
  return p;
}

Batch weight_grad_problem(const WindowGeometry& s, const float* x, const float* dy, float* dw) {
  Batch p;
  Gemm& g = p.g;
  g.m = s.k;
  g.n = patch(s);
  g.r = s.n * positions(s);
  g.a = igemm::matrix(dy, strided(positions(s)), dy_pixels(s));  // dy[img, k, p]: m = k, r = (img, p)
  g.b = igemm::windows_of(s, x, igemm::tap_axis(s), igemm::pixel_axis(s));
  g.c = igemm::rows(dw, patch(s));
  igemm::make_steps(g);
  return p;
}

GemmPlan forward_plan(const WindowGeometry& s) { return plan_gemm(s.k, s.n * s.positions(), s.patch_size(), 1); }
GemmPlan weight_grad_plan(const WindowGeometry& s) { return plan_gemm(s.k, s.patch_size(), s.n * s.positions(), 1); }

// ---- input gradient by stride phases ---------------------------------------------------------------

DgradPhases phases_problem(const WindowGeometry& s, const float* dy, const float* w, float* dx) {
  const int phases_h = std::min(s.stride_h, s.h), phases_w = std::min(s.stride_w, s.w);
  return DgradPhases{s, dy, w, dx, phases_w, phases_h * phases_w};
}

// The largest phase, (0, 0): pixels ceil(h / stride_h) × ceil(w / stride_w) per image; its reduction bounds
// every phase's.
int64_t phase_pixels(const WindowGeometry& s) { return s.n * ceil_div(s.h, s.stride_h) * ceil_div(s.w, s.stride_w); }
int64_t phase_reduction(const WindowGeometry& s) { return s.k * ceil_div(s.kh, s.stride_h) * ceil_div(s.kw, s.stride_w); }

GemmPlan phases_plan(const WindowGeometry& s) {
  const DgradPhases p = phases_problem(s, nullptr, nullptr, nullptr);
  return plan_gemm(s.c, phase_pixels(s), phase_reduction(s), p.items, DgradPhases::kLargestTile);
}

// ---- input gradient by patch gradients ------------------------------------------------------------

// dpatch[(img, p), r] = Σ_k dy[img, k, p] · w[k, r].
Batch patch_grad_problem(const WindowGeometry& s, const float* dy, const float* w, float* dpatch) {
  Batch p;
  Gemm& g = p.g;
  g.m = s.n * positions(s);
  g.n = patch(s);
  g.r = s.k;
  g.a = igemm::matrix(dy, dy_pixels(s), strided(positions(s)));
  g.b = igemm::matrix(w, strided(1), strided(patch(s)));  // w[k, r]: n = r, reduction k
  g.c = igemm::rows(dpatch, patch(s));
  igemm::make_steps(g);
  return p;
}

int64_t patch_grad_floats(const WindowGeometry& s) { return s.n * s.positions() * s.patch_size(); }
GemmPlan patch_grad_plan(const WindowGeometry& s) { return plan_gemm(s.n * s.positions(), s.patch_size(), s.k, 1); }

// The way the planner's model estimates faster: the stride phases, or the patch gradients plus the pass that
// writes and reads them back (8 bytes each) to sum them into dx.
bool dgrad_by_patches(const WindowGeometry& s) {
  if (patch_grad_floats(s) > INT_MAX) return false;  // one 32-bit-indexed workspace matrix
  const int forced = engine_override().conv_dgrad;
  if (forced != 0) return forced == 2;
  return patch_grad_plan(s).cycles + streaming_cycles(8 * patch_grad_floats(s)) < phases_plan(s).cycles;
}

// ---- bias gradient -----------------------------------------------------------------------------------

// db[k] = Σ over images and output pixels of dy[img, k, p]: one block per channel, a fixed-shape tree sum.
__global__ void __launch_bounds__(kThreads) bias_grad_kernel(const float* dy, int images, int channels, int P, float* db) {
  __shared__ float sums[kThreads];
  for (int k = blockIdx.x; k < channels; k += gridDim.x) {
    float sum = 0.f;
    for (int e = threadIdx.x; e < images * P; e += kThreads) {  // e = (img, p): consecutive threads, consecutive p
      const int img = e / P, p = e - img * P;
      sum += dy[(img * channels + k) * P + p];
    }
    sums[threadIdx.x] = sum;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) sums[threadIdx.x] += sums[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) db[k] = sums[0];  // the next channel's first barrier comes before any read of sums
  }
}

}  // namespace

size_t conv2d_forward_workspace(const WindowGeometry& s) {
  return static_cast<size_t>(split_floats(forward_plan(s), s.k * s.n * s.positions(), 1));
}

void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y,
                    float* workspace) {
  igemm::run<WeightTimesWindows>(forward_problem(s, x, w, b, y), s.k, s.n * s.positions(), forward_plan(s), workspace,
                          "conv2d_forward");
}

size_t conv2d_backward_input_workspace(const WindowGeometry& s) {
  if (dgrad_by_patches(s))
    return static_cast<size_t>(patch_grad_floats(s) + split_floats(patch_grad_plan(s), patch_grad_floats(s), 1));
  return static_cast<size_t>(
      split_floats(phases_plan(s), s.c * phase_pixels(s), phases_problem(s, nullptr, nullptr, nullptr).items));
}

void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx, float* workspace) {
  if (dgrad_by_patches(s)) {
    float* dpatch = workspace;
    igemm::run<PlainAlongFree>(patch_grad_problem(s, dy, w, dpatch), s.n * s.positions(), s.patch_size(),
                             patch_grad_plan(s), workspace + patch_grad_floats(s), "conv2d_backward_input");
    sum_patch_gradients(s, dpatch, s.positions() * s.patch_size(), s.patch_size(), dx, "conv2d_backward_input");
  } else {
    igemm::run<WeightTimesWindows>(phases_problem(s, dy, w, dx), s.c, phase_pixels(s), phases_plan(s), workspace,
                            "conv2d_backward_input");
  }
}

size_t conv2d_backward_weight_workspace(const WindowGeometry& s) {
  return static_cast<size_t>(split_floats(weight_grad_plan(s), s.conv_weight_size(), 1));
}

void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db,
                            float* workspace) {
  igemm::run<WeightTimesWindows>(weight_grad_problem(s, x, dy, dw), s.k, s.patch_size(), weight_grad_plan(s), workspace,
                          "conv2d_backward_weight");
  if (db && s.k > 0) {
    bias_grad_kernel<<<grid_dim(s.k, kMaxBlocks), kThreads>>>(dy, s.n, s.k, positions(s), db);
    check_launch("conv2d_backward_weight/bias_grad");
  }
}

}  // namespace wsr::cuda
