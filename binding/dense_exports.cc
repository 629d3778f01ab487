// Exports of the dense (fully connected) layer: forward and backward. Layouts: x [N,I],
// w [O,I], b [O], y and dy [N,O]. Outputs are passed in and overwritten.
#include "args.h"
#include "cpu/dense.h"
#include "registry.h"
#include "workspace.h"
#ifdef WSR_WITH_CUDA
#include "cuda/dense.h"
#endif

namespace wsr::binding {
namespace {

// Checks x [N,I] and w [O,I] and returns the layer's shape.
DenseShape dense_shape(const Tensor& x, const Tensor& w) {
  expect_f32(x, 2, "x", "N,I");
  expect_f32(w, 2, "w", "O,I");
  if (w.dim(1) != x.dim(1))
    throw ArgumentRangeError("w must have shape [O," + std::to_string(x.dim(1)) + "] to match x " +
                             shape_str(x.shape()) + ", got " + shape_str(w.shape()));
  return DenseShape{x.dim(0), x.dim(1), w.dim(0)};
}

void expect_bias(const Tensor& b, const DenseShape& s, const char* name) {
  expect_f32(b, 1, name, "O");
  expect_shape(b, {s.out}, name);
}

}  // namespace

// denseForward(x [N,I], w [O,I], b [O] | null, y [N,O]): y = x·wᵀ + b.
WSR_EXPORT(denseForward) {
  expect_arg_count(info, 4);
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& w = tensor_arg(info, 1, "w");
  const Tensor* b = optional_tensor_arg(info, 2, "b");
  const Tensor& y = tensor_arg(info, 3, "y");
  const DenseShape s = dense_shape(x, w);
  if (b) expect_bias(*b, s, "b");
  expect_f32(y, 2, "y", "N,O");
  expect_shape(y, {s.n, s.out}, "y");
  expect_same_device({{"x", &x}, {"w", &w}, {"b", b}, {"y", &y}});
  expect_distinct(y, "y", x, "x");
  expect_distinct(y, "y", w, "w");
  if (b) expect_distinct(y, "y", *b, "b");

  const float* bias = b ? b->f32() : nullptr;
  const Device d = x.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, with_workspace(d, cuda::dense_forward_workspace(s), [&](float* ws) {
                  cuda::dense_forward(s, x.f32(), w.f32(), bias, y.f32(), ws);
                }));
  else
    cpu::dense_forward(s, x.f32(), w.f32(), bias, y.f32());
  return info.Env().Undefined();
}

// denseBackward(x [N,I], w [O,I], dy [N,O], dx [N,I] | null, dw [O,I], db [O] | null):
// dx = dy·w, dw = dyᵀ·x, db = column sums of dy; a null dx or db is not computed.
WSR_EXPORT(denseBackward) {
  expect_arg_count(info, 6);
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& w = tensor_arg(info, 1, "w");
  const Tensor& dy = tensor_arg(info, 2, "dy");
  const Tensor* dx = optional_tensor_arg(info, 3, "dx");
  const Tensor& dw = tensor_arg(info, 4, "dw");
  const Tensor* db = optional_tensor_arg(info, 5, "db");
  const DenseShape s = dense_shape(x, w);
  expect_f32(dy, 2, "dy", "N,O");
  expect_shape(dy, {s.n, s.out}, "dy");
  if (dx) {
    expect_f32(*dx, 2, "dx", "N,I");
    expect_shape(*dx, {s.n, s.in}, "dx");
  }
  expect_f32(dw, 2, "dw", "O,I");
  expect_shape(dw, {s.out, s.in}, "dw");
  if (db) expect_bias(*db, s, "db");
  expect_same_device({{"x", &x}, {"w", &w}, {"dy", &dy}, {"dx", dx}, {"dw", &dw}, {"db", db}});
  // Every output apart from every input and from the other outputs.
  const std::pair<const char*, const Tensor*> outputs[] = {{"dx", dx}, {"dw", &dw}, {"db", db}};
  const std::pair<const char*, const Tensor*> inputs[] = {{"x", &x}, {"w", &w}, {"dy", &dy}};
  for (size_t i = 0; i < 3; ++i) {
    if (!outputs[i].second) continue;
    for (const auto& in : inputs) expect_distinct(*outputs[i].second, outputs[i].first, *in.second, in.first);
    for (size_t j = i + 1; j < 3; ++j)
      if (outputs[j].second)
        expect_distinct(*outputs[i].second, outputs[i].first, *outputs[j].second, outputs[j].first);
  }

  float* dx_ptr = dx ? dx->f32() : nullptr;
  float* db_ptr = db ? db->f32() : nullptr;
  const Device d = x.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, with_workspace(d, cuda::dense_backward_workspace(s), [&](float* ws) {
                  cuda::dense_backward(s, x.f32(), w.f32(), dy.f32(), dx_ptr, dw.f32(), db_ptr, ws);
                }));
  else
    cpu::dense_backward(s, x.f32(), w.f32(), dy.f32(), dx_ptr, dw.f32(), db_ptr);
  return info.Env().Undefined();
}

}  // namespace wsr::binding
