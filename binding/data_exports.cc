// Exports of batch gathering from a uint8 dataset by an int32 index list, so an epoch's shuffled
// order can live on the device and each batch be gathered there.
#include "args.h"
#include "cpu/data.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/data.h"
#endif

namespace wsr::binding {

// gatherBatch(images uint8 [M,...rest], labels uint8 [M], order int32 [P], offset, count, scale,
//             x float32 [count,...rest], y uint8 [count]):
// x[i] = images[order[offset+i]]·scale, y[i] = labels[order[offset+i]].
// An index outside [0, M) throws on the CPU (naming it, nothing written); on CUDA that row of x is
// NaN and its label 255 (see cuda/data.h).
WSR_EXPORT(gatherBatch) {
  expect_arg_count(info, 8);
  const Tensor& images = tensor_arg(info, 0, "images");
  const Tensor& labels = tensor_arg(info, 1, "labels");
  const Tensor& order = tensor_arg(info, 2, "order");
  const int64_t offset = int_arg(info, 3, "offset", 0, kMaxDim);
  const int64_t count = int_arg(info, 4, "count", 0, kMaxDim);
  const float scale = static_cast<float>(number_arg(info, 5, "scale"));
  const Tensor& x = tensor_arg(info, 6, "x");
  const Tensor& y = tensor_arg(info, 7, "y");

  expect_dtype(images, DType::Uint8, "images");
  if (images.rank() < 1)
    throw ArgumentRangeError("images must have at least one dimension (M,...), got shape " + shape_str(images.shape()));
  const int64_t samples = images.dim(0);
  expect_dtype(labels, DType::Uint8, "labels");
  expect_shape(labels, {samples}, "labels");
  expect_dtype(order, DType::Int32, "order");
  if (order.rank() != 1)
    throw ArgumentRangeError("order must have 1 dimension (P), got shape " + shape_str(order.shape()));
  const int64_t order_length = order.dim(0);
  if (offset + count > order_length)
    throw ArgumentRangeError("offset + count must be at most the order's length " + std::to_string(order_length) +
                             ", got " + std::to_string(offset) + " + " + std::to_string(count));
  Shape batch_shape = images.shape();
  batch_shape[0] = count;
  expect_dtype(x, DType::Float32, "x");
  expect_shape(x, batch_shape, "x");
  expect_dtype(y, DType::Uint8, "y");
  expect_shape(y, {count}, "y");
  expect_same_device({{"images", &images}, {"labels", &labels}, {"order", &order}, {"x", &x}, {"y", &y}});
  for (const auto& in : {std::make_pair("images", &images), std::make_pair("labels", &labels),
                         std::make_pair("order", &order)}) {
    expect_distinct(x, "x", *in.second, in.first);
    expect_distinct(y, "y", *in.second, in.first);
  }
  expect_distinct(x, "x", y, "y");

  const Shape rest(images.shape().begin() + 1, images.shape().end());
  const GatherShape s{samples, shape_size(rest), order_length, offset, count};
  const Device d = images.device();
  if (d.is_cuda())
    WSR_ON_CUDA(d, cuda::gather_batch(s, images.u8(), labels.u8(), order.i32(), scale, x.f32(), y.u8()));
  else
    cpu::gather_batch(s, images.u8(), labels.u8(), order.i32(), scale, x.f32(), y.u8());
  return info.Env().Undefined();
}

}  // namespace wsr::binding
