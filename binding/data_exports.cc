// Exports of batch gathering from a uint8 dataset by an int32 index list, so an epoch's shuffled
// order can live on the device and each batch be gathered there.
#include "args.h"
#include "cpu/data.h"
#include "dispatch.h"
#include "operands.h"
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
  const Operands t(info, {input(0, "images").of(DType::Uint8), input(1, "labels").of(DType::Uint8),
                          input(2, "order").of(DType::Int32), output(6, "x"), output(7, "y").of(DType::Uint8)});
  const int64_t offset = int_arg(info, 3, "offset", 0, kMaxDim);
  const int64_t count = int_arg(info, 4, "count", 0, kMaxDim);
  const float scale = static_cast<float>(number_arg(info, 5, "scale"));

  const Tensor &images = t["images"], &order = t["order"];
  if (images.rank() < 1)
    throw ArgumentRangeError("images must have at least one dimension (M,...), got shape " + shape_str(images.shape()));
  const int64_t samples = images.dim(0);
  expect_shape(t["labels"], {samples}, "labels");
  if (order.rank() != 1)
    throw ArgumentRangeError("order must have 1 dimension (P), got shape " + shape_str(order.shape()));
  const int64_t order_length = order.dim(0);
  if (offset + count > order_length)
    throw ArgumentRangeError("offset + count must be at most the order's length " + std::to_string(order_length) +
                             ", got " + std::to_string(offset) + " + " + std::to_string(count));
  Shape batch_shape = images.shape();
  batch_shape[0] = count;
  expect_shape(t["x"], batch_shape, "x");
  expect_shape(t["y"], {count}, "y");
  t.check_placement();

  const Shape rest(images.shape().begin() + 1, images.shape().end());
  const GatherShape s{samples, shape_size(rest), order_length, offset, count};
  WSR_DISPATCH(t.device(), gather_batch, s, images.u8(), t["labels"].u8(), order.i32(), scale, t.f32("x"), t["y"].u8());
  return info.Env().Undefined();
}

}  // namespace wsr::binding
