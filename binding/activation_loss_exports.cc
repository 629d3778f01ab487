// Exports of ReLU (forward and backward, in place allowed) and the fused softmax + cross-entropy
// loss whose statistics stay on the device.
#include "args.h"
#include "cpu/activation_loss.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/activation_loss.h"
#endif

namespace wsr::binding {
namespace {

// An elementwise output may be exactly its input (in place) but must not partly overlap it.
void expect_same_or_distinct(const Tensor& out, const char* out_name, const Tensor& in, const char* in_name) {
  if (out.data() == in.data() && out.byte_length() == in.byte_length()) return;
  expect_distinct(out, out_name, in, in_name);
}

void expect_float32_like(const Tensor& t, const char* name, const Tensor& like, const char* like_name) {
  expect_dtype(t, DType::Float32, name);
  if (t.shape() != like.shape())
    throw ArgumentRangeError(std::string(name) + " must have the shape of " + like_name + ", " +
                             shape_str(like.shape()) + ", got " + shape_str(t.shape()));
}

}  // namespace

// reluForward(x, y): y = max(x, 0) elementwise, any shape; y may be x (in place).
WSR_EXPORT(reluForward) {
  expect_arg_count(info, 2);
  const Tensor& x = tensor_arg(info, 0, "x");
  const Tensor& y = tensor_arg(info, 1, "y");
  expect_dtype(x, DType::Float32, "x");
  expect_float32_like(y, "y", x, "x");
  expect_same_device({{"x", &x}, {"y", &y}});
  expect_same_or_distinct(y, "y", x, "x");

  const Device d = x.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::relu_forward(x.size(), x.f32(), y.f32()));
  else
    cpu::relu_forward(x.size(), x.f32(), y.f32());
  return info.Env().Undefined();
}

// reluBackward(y, dy, dx): dx = dy where the forward OUTPUT y > 0, else 0; dx may be dy (in place).
WSR_EXPORT(reluBackward) {
  expect_arg_count(info, 3);
  const Tensor& y = tensor_arg(info, 0, "y");
  const Tensor& dy = tensor_arg(info, 1, "dy");
  const Tensor& dx = tensor_arg(info, 2, "dx");
  expect_dtype(y, DType::Float32, "y");
  expect_float32_like(dy, "dy", y, "y");
  expect_float32_like(dx, "dx", y, "y");
  expect_same_device({{"y", &y}, {"dy", &dy}, {"dx", &dx}});
  expect_distinct(dx, "dx", y, "y");
  expect_same_or_distinct(dx, "dx", dy, "dy");

  const Device d = y.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::relu_backward(y.size(), y.f32(), dy.f32(), dx.f32()));
  else
    cpu::relu_backward(y.size(), y.f32(), dy.f32(), dx.f32());
  return info.Env().Undefined();
}

// softmaxCrossEntropy(logits [N,C], labels uint8 [N], dlogits [N,C] | null, stats [2], accumulate):
// per-row loss -log softmax(logits)[label]; stats[0] (+)= Σ loss, stats[1] (+)= rows whose first
// argmax is the label; dlogits = (softmax - onehot) / N. A label >= C throws on the CPU (naming
// the row, nothing written); on CUDA it makes stats[0] NaN and that dlogits row NaN (see
// cuda/activation_loss.h).
WSR_EXPORT(softmaxCrossEntropy) {
  expect_arg_count(info, 5);
  const Tensor& logits = tensor_arg(info, 0, "logits");
  const Tensor& labels = tensor_arg(info, 1, "labels");
  const Tensor* dlogits = optional_tensor_arg(info, 2, "dlogits");
  const Tensor& stats = tensor_arg(info, 3, "stats");
  const bool accumulate = bool_arg(info, 4, "accumulate");
  expect_f32(logits, 2, "logits", "N,C");
  const ClassifierShape s{logits.dim(0), logits.dim(1)};
  if (s.classes < 1)
    throw ArgumentRangeError("logits must have at least one class, got shape " + shape_str(logits.shape()));
  expect_dtype(labels, DType::Uint8, "labels");
  expect_shape(labels, {s.n}, "labels");
  if (dlogits) {
    expect_f32(*dlogits, 2, "dlogits", "N,C");
    expect_shape(*dlogits, logits.shape(), "dlogits");
  }
  expect_f32(stats, 1, "stats", "2: loss sum, correct count");
  expect_shape(stats, {2}, "stats");
  expect_same_device({{"logits", &logits}, {"labels", &labels}, {"dlogits", dlogits}, {"stats", &stats}});
  if (dlogits) {
    expect_distinct(*dlogits, "dlogits", logits, "logits");
    expect_distinct(*dlogits, "dlogits", labels, "labels");
    expect_distinct(*dlogits, "dlogits", stats, "stats");
  }
  expect_distinct(stats, "stats", logits, "logits");
  expect_distinct(stats, "stats", labels, "labels");

  float* grad = dlogits ? dlogits->f32() : nullptr;
  const Device d = logits.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::softmax_cross_entropy(s, logits.f32(), labels.u8(), grad, stats.f32(), accumulate));
  else
    cpu::softmax_cross_entropy(s, logits.f32(), labels.u8(), grad, stats.f32(), accumulate);
  return info.Env().Undefined();
}

}  // namespace wsr::binding
