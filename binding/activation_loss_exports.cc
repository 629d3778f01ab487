// Exports of ReLU (forward and backward, in place allowed) and the fused softmax + cross-entropy
// loss whose statistics stay on the device.
#include "args.h"
#include "cpu/activation_loss.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/activation_loss.h"
#endif

namespace wsr::binding {
namespace {

void expect_shape_of(const Tensor& t, const char* name, const Tensor& like, const char* like_name) {
  if (t.shape() != like.shape())
    throw ArgumentRangeError(std::string(name) + " must have the shape of " + like_name + ", " +
                             shape_str(like.shape()) + ", got " + shape_str(t.shape()));
}

}  // namespace

// reluForward(x, y): y = max(x, 0) elementwise, any shape; y may be x (in place).
WSR_EXPORT(reluForward) {
  expect_arg_count(info, 2);
  const Operands t(info, {input(0, "x"), output(1, "y").may_be("x")});
  expect_shape_of(t["y"], "y", t["x"], "x");
  t.check_placement();
  WSR_DISPATCH(t.device(), relu_forward, t["x"].size(), t.f32("x"), t.f32("y"));
  return info.Env().Undefined();
}

// reluBackward(y, dy, dx): dx = dy where the forward OUTPUT y > 0, else 0; dx may be dy (in place).
WSR_EXPORT(reluBackward) {
  expect_arg_count(info, 3);
  const Operands t(info, {input(0, "y"), input(1, "dy"), output(2, "dx").may_be("dy")});
  expect_shape_of(t["dy"], "dy", t["y"], "y");
  expect_shape_of(t["dx"], "dx", t["y"], "y");
  t.check_placement();
  WSR_DISPATCH(t.device(), relu_backward, t["y"].size(), t.f32("y"), t.f32("dy"), t.f32("dx"));
  return info.Env().Undefined();
}

// softmaxCrossEntropy(logits [N,C], labels uint8 [N], dlogits [N,C] | null, stats [2], accumulate):
// per-row loss -log softmax(logits)[label]; stats[0] (+)= Σ loss, stats[1] (+)= rows whose first
// argmax is the label; dlogits = (softmax - onehot) / N. A label >= C throws on the CPU (naming
// the row, nothing written); on CUDA it makes stats[0] NaN and that dlogits row NaN (see
// cuda/activation_loss.h).
WSR_EXPORT(softmaxCrossEntropy) {
  expect_arg_count(info, 5);
  const Operands t(info, {input(0, "logits", 2, "N,C"), input(1, "labels").of(DType::Uint8),
                          output(2, "dlogits", 2, "N,C").optional(), output(3, "stats", 1, "2: loss sum, correct count")});
  const bool accumulate = bool_arg(info, 4, "accumulate");
  const Tensor& logits = t["logits"];
  const ClassifierShape s{logits.dim(0), logits.dim(1)};
  if (s.classes < 1)
    throw ArgumentRangeError("logits must have at least one class, got shape " + shape_str(logits.shape()));
  expect_shape(t["labels"], {s.n}, "labels");
  if (t.get("dlogits")) expect_shape(t["dlogits"], logits.shape(), "dlogits");
  expect_shape(t["stats"], {2}, "stats");
  t.check_placement();
  WSR_DISPATCH(t.device(), softmax_cross_entropy, s, t.f32("logits"), t["labels"].u8(), t.f32("dlogits"), t.f32("stats"),
               accumulate);
  return info.Env().Undefined();
}

}  // namespace wsr::binding
