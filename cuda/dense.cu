// Fully connected layer on the GPU: its three products run on the implicit-GEMM engine's plain-matrix view
// (cuda/implicit_gemm.cuh), the bias fused into the forward's stores; reductions too short to fill the GPU
// (2304 inputs into 1024 outputs at batch 128 is 8 tiles of 128) are split and their partial sums added in
// order.
#include "cuda/prelude.cuh"

#include "cuda/dense.h"
#include "cuda/implicit_gemm.cuh"

namespace wsr::cuda {
namespace {

using igemm::Batch;
using igemm::Gemm;
using igemm::strided;

int to_int(int64_t v) { return static_cast<int>(v); }  // after require_indexable

// C [m, n] (row stride n) over a reduction of r; the caller sets A and B.
Batch product(int64_t m, int64_t n, int64_t r, float* c) {
  Batch p;
  Gemm& g = p.g;
  g.m = to_int(m);
  g.n = to_int(n);
  g.r = to_int(r);
  g.c = igemm::rows(c, g.n);
  return p;
}

// A or B as a row-major matrix: offset = free·free_stride + r·red_stride.
igemm::Operand matrix(const float* base, int64_t free_stride, int64_t red_stride) {
  return igemm::matrix(base, strided(to_int(free_stride)), strided(to_int(red_stride)));
}

// y [n, out] = x [n, in] · w [out, in]ᵀ (+ b): both operands contiguous along the reduction.
Batch forward_problem(const DenseShape& s, const float* x, const float* w, const float* b, float* y) {
  Batch p = product(s.n, s.out, s.in, y);
  p.g.a = matrix(x, s.in, 1);
  p.g.b = matrix(w, s.in, 1);
  p.g.c.bias = b;
  p.g.c.bias_sn = 1;
  igemm::make_steps(p.g);
  return p;
}

// dx [n, in] = dy [n, out] · w [out, in].
Batch input_grad_problem(const DenseShape& s, const float* w, const float* dy, float* dx) {
  Batch p = product(s.n, s.in, s.out, dx);
  p.g.a = matrix(dy, s.out, 1);
  p.g.b = matrix(w, 1, s.in);
  igemm::make_steps(p.g);
  return p;
}

// dw [out, in] = dy [n, out]ᵀ · x [n, in]: both operands contiguous along their free index.
Batch weight_grad_problem(const DenseShape& s, const float* x, const float* dy, float* dw) {
  Batch p = product(s.out, s.in, s.n, dw);
  p.g.a = matrix(dy, 1, s.out);
  p.g.b = matrix(x, 1, s.in);
  igemm::make_steps(p.g);
  return p;
}

GemmPlan forward_plan(const DenseShape& s) { return plan_gemm(s.n, s.out, s.in, 1); }
GemmPlan input_grad_plan(const DenseShape& s) { return plan_gemm(s.n, s.in, s.out, 1); }
GemmPlan weight_grad_plan(const DenseShape& s) { return plan_gemm(s.out, s.in, s.n, 1); }

// Which operand is read along its reduction (true) or along its free index.
using AlongR = igemm::Layout<true, true, igemm::kPlain, igemm::kPlain>;
using RowsTimesColumns = igemm::Layout<true, false, igemm::kPlain, igemm::kPlain>;
using AlongFree = igemm::Layout<false, false, igemm::kPlain, igemm::kPlain>;

// The engine indexes each matrix with 32-bit integers.
void require_indexable(const DenseShape& s, const char* what) {
  require_int32(s.n * s.in, what);
  require_int32(s.out * s.in, what);
  require_int32(s.n * s.out, what);
}

// db[o] = Σ_r dy[r, o]. One thread per column o; at each row step the threads of a warp read 32
// consecutive floats of that row (coalesced). Rows are summed in order, so the result is deterministic.
__global__ void column_sums_kernel(const float* dy, float* db, int64_t rows, int64_t out) {
  for (int64_t o = grid_start(); o < out; o += grid_step()) {
    float acc = 0.f;
    for (int64_t r = 0; r < rows; ++r) acc += dy[r * out + o];
    db[o] = acc;
  }
}

}  // namespace

size_t dense_forward_workspace(const DenseShape& s) {
  return static_cast<size_t>(split_floats(forward_plan(s), s.n * s.out, 1));
}

void dense_forward(const DenseShape& s, const float* x, const float* w, const float* b, float* y, float* workspace) {
  require_indexable(s, "dense_forward");
  igemm::run<AlongR>(forward_problem(s, x, w, b, y), s.n, s.out, forward_plan(s), workspace, "dense_forward");
}

size_t dense_backward_workspace(const DenseShape& s) {  // its two products run one after the other
  return static_cast<size_t>(std::max(split_floats(input_grad_plan(s), s.n * s.in, 1),
                                      split_floats(weight_grad_plan(s), s.out * s.in, 1)));
}

void dense_backward(const DenseShape& s, const float* x, const float* w, const float* dy, float* dx, float* dw,
                    float* db, float* workspace) {
  require_indexable(s, "dense_backward");
  if (dx)
    igemm::run<RowsTimesColumns>(input_grad_problem(s, w, dy, dx), s.n, s.in, input_grad_plan(s), workspace,
                                 "dense_backward");
  igemm::run<AlongFree>(weight_grad_problem(s, x, dy, dw), s.out, s.in, weight_grad_plan(s), workspace,
                        "dense_backward");
  if (db && s.out > 0) {
    column_sums_kernel<<<blocks_for(s.out), kThreads>>>(dy, db, s.n, s.out);
    check_launch("dense_backward/column_sums");
  }
}

}  // namespace wsr::cuda
