// Exports of the filter divergence metrics (cpu/distance.h, cuda/distance.h). The weight is any
// float32 tensor of rank >= 3 read as a grid [OH, OW] of contiguous banks of the remaining dims.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "cpu/distance.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#include "workspace.h"
#ifdef WSR_WITH_CUDA
#include "cuda/distance.h"
#endif

namespace wsr::binding {
namespace {

// The [OH, OW] grid of banks of a non-empty weight of rank >= 3 (float32: checked by Operands).
FilterGrid filter_grid_arg(const Tensor& w) {
  if (w.rank() < 3)
    throw ArgumentRangeError("w must have at least 3 dimensions (OH,OW,...bank), got shape " + shape_str(w.shape()));
  if (w.size() == 0) throw ArgumentRangeError("w must not be empty, got shape " + shape_str(w.shape()));
  return FilterGrid{w.dim(0), w.dim(1), w.size() / (w.dim(0) * w.dim(1))};
}

// A JS array of 1..kMaxRadii integers >= 1. Reading it can run JavaScript (element getters).
std::vector<int64_t> radii_arg(const Napi::CallbackInfo& info, size_t i) {
  Napi::Value v = info[i];
  if (!v.IsArray()) throw ArgumentTypeError("radii must be an array of integers >= 1");
  Napi::Array a = v.As<Napi::Array>();
  if (a.Length() < 1 || a.Length() > static_cast<uint32_t>(kMaxRadii))
    throw ArgumentRangeError("radii must hold 1 to " + std::to_string(kMaxRadii) + " radii, got " +
                             std::to_string(a.Length()));
  std::vector<int64_t> radii;
  for (uint32_t k = 0; k < a.Length(); ++k) {
    Napi::Value r = a.Get(k);
    const std::string what = "radii[" + std::to_string(k) + "]";
    if (!r.IsNumber()) throw ArgumentTypeError(what + " must be an integer >= 1");
    const double x = r.As<Napi::Number>().DoubleValue();
    if (!(x >= 1 && x <= static_cast<double>(kMaxDim)) || std::floor(x) != x) {
      char buf[64];
      snprintf(buf, sizeof buf, "%.17g", x);
      throw ArgumentRangeError(what + " must be an integer in [1, " + std::to_string(kMaxDim) + "], got " + buf);
    }
    radii.push_back(static_cast<int64_t>(x));
  }
  return radii;
}

}  // namespace

// localDistances(w, radii, out): out[k] = [dist_r, cos_r] for r = radii[k] (PROTOCOL.md
// "Divergence metric"; NaN where undefined, see common/distance_math.h). out: float32 [radii.length, 2].
WSR_EXPORT(localDistances) {
  expect_arg_count(info, 3);
  // radii first: reading an array's elements can run JavaScript (a getter), which could dispose
  // a tensor already taken and leave it without memory. Taking tensors runs none.
  const std::vector<int64_t> radii = radii_arg(info, 1);
  const Operands t(info, {input(0, "w"), output(2, "out")});
  const FilterGrid grid = filter_grid_arg(t["w"]);
  expect_shape(t["out"], {static_cast<int64_t>(radii.size()), 2}, "out");
  t.check_placement();
  const RingLayout layout = ring_layout(grid, radii.data(), static_cast<int>(radii.size()));
  const Device d = t.device();
  if (d.is_cuda()) {
    // The CUDA reduction's partial sums, in double: not the float workspace of WSR_DISPATCH_WITH_WORKSPACE.
    const int64_t doubles = local_distances_workspace_doubles(grid, layout);
    const WorkspaceLease workspace(d, static_cast<size_t>(doubles) * sizeof(double));
    WSR_ON_CUDA(d, cuda::local_distances(t.f32("w"), grid, layout, workspace.as<double>(), t.f32("out")));
  } else {
    cpu::local_distances(t.f32("w"), grid, layout, t.f32("out"));
  }
  return info.Env().Undefined();
}

// referenceDistances(w, ref, out): out[0][i][j] = ||W_ij - ref|| / ||ref||, out[1][i][j] =
// 1 - cos(W_ij, ref). ref: float32 with one bank's element count (same element order);
// out: float32 [2, OH, OW].
WSR_EXPORT(referenceDistances) {
  expect_arg_count(info, 3);
  const Operands t(info, {input(0, "w"), input(1, "ref"), output(2, "out")});
  const FilterGrid grid = filter_grid_arg(t["w"]);
  if (t["ref"].size() != grid.bank)
    throw ArgumentRangeError("ref must have " + std::to_string(grid.bank) + " elements (one bank of w " +
                             shape_str(t["w"].shape()) + "), got shape " + shape_str(t["ref"].shape()));
  expect_shape(t["out"], {2, grid.oh, grid.ow}, "out");
  t.check_placement();
  WSR_DISPATCH(t.device(), reference_distances, t.f32("w"), t.f32("ref"), grid, t.f32("out"));
  return info.Env().Undefined();
}

}  // namespace wsr::binding
