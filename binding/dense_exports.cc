// Exports of the dense (fully connected) layer: forward and backward. Layouts: x [N,I],
// w [O,I], b [O], y and dy [N,O]. Outputs are passed in and overwritten.
#include "args.h"
#include "cpu/dense.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/dense.h"
#endif

namespace wsr::binding {
namespace {

// The layer's shape from x [N,I] and w [O,I] (already checked to be float32 of rank 2).
DenseShape dense_shape(const Tensor& x, const Tensor& w) {
  if (w.dim(1) != x.dim(1))
    throw ArgumentRangeError("w must have shape [O," + std::to_string(x.dim(1)) + "] to match x " +
                             shape_str(x.shape()) + ", got " + shape_str(w.shape()));
  return DenseShape{x.dim(0), x.dim(1), w.dim(0)};
}

}  // namespace

// denseForward(x [N,I], w [O,I], b [O] | null, y [N,O]): y = x·wᵀ + b.
WSR_EXPORT(denseForward) {
  expect_arg_count(info, 4);
  const Operands t(info, {input(0, "x", 2, "N,I"), input(1, "w", 2, "O,I"), input(2, "b", 1, "O").optional(),
                          output(3, "y", 2, "N,O")});
  const DenseShape s = dense_shape(t["x"], t["w"]);
  if (t.get("b")) expect_shape(t["b"], {s.out}, "b");
  expect_shape(t["y"], {s.n, s.out}, "y");
  t.check_placement();
  WSR_DISPATCH_WITH_WORKSPACE(t.device(), dense_forward, s, t.f32("x"), t.f32("w"), t.f32("b"), t.f32("y"));
  return info.Env().Undefined();
}

// denseBackward(x [N,I], w [O,I], dy [N,O], dx [N,I] | null, dw [O,I], db [O] | null):
// dx = dy·w, dw = dyᵀ·x, db = column sums of dy; a null dx or db is not computed.
WSR_EXPORT(denseBackward) {
  expect_arg_count(info, 6);
  const Operands t(info, {input(0, "x", 2, "N,I"), input(1, "w", 2, "O,I"), input(2, "dy", 2, "N,O"),
                          output(4, "dw", 2, "O,I"), output(3, "dx", 2, "N,I").optional(),
                          output(5, "db", 1, "O").optional()});
  const DenseShape s = dense_shape(t["x"], t["w"]);
  expect_shape(t["dy"], {s.n, s.out}, "dy");
  if (t.get("dx")) expect_shape(t["dx"], {s.n, s.in}, "dx");
  expect_shape(t["dw"], {s.out, s.in}, "dw");
  if (t.get("db")) expect_shape(t["db"], {s.out}, "db");
  t.check_placement();
  WSR_DISPATCH_WITH_WORKSPACE(t.device(), dense_backward, s, t.f32("x"), t.f32("w"), t.f32("dy"), t.f32("dx"),
                              t.f32("dw"), t.f32("db"));
  return info.Env().Undefined();
}

}  // namespace wsr::binding
