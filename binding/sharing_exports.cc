// Exports of the weight-sharing kernels (cpu/sharing.h, cuda/sharing.h): re-tying a locally connected
// layer toward its mean bank, the soft-tying penalty, and fixed input masks. Layouts: weight
// [OH,OW,K,C,KH,KW] (one contiguous bank per output position), bias [OH,OW,K]; definitions in
// common/sharing_math.h.
#include <cfloat>
#include <string>

#include "args.h"
#include "cpu/sharing.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#include "workspace.h"
#ifdef WSR_WITH_CUDA
#include "cuda/sharing.h"
#endif

namespace wsr::binding {
namespace {

constexpr const char* kWeightDims = "OH,OW,K,C,KH,KW";
constexpr const char* kBiasDims = "OH,OW,K";

// The layer a weight describes: its positions, bank size and filter count.
struct LocalLayer {
  int64_t positions, bank, k;
};

// A weight with at least one output position, and (when given) the bias [OH,OW,K] that goes with it.
LocalLayer local_layer(const Tensor& w, const Tensor* b) {
  if (w.dim(0) == 0 || w.dim(1) == 0)
    throw ArgumentRangeError("weight must have at least one output position, got shape " + shape_str(w.shape()));
  if (b) expect_shape(*b, {w.dim(0), w.dim(1), w.dim(2)}, "bias");
  const int64_t positions = w.dim(0) * w.dim(1);
  return LocalLayer{positions, w.size() / positions, w.dim(2)};
}

// A finite number in [0, max]; the message names the argument, its range and the value.
double nonnegative_arg(const Napi::CallbackInfo& info, size_t i, const char* name, double max, const char* range) {
  const double x = number_arg(info, i, name);
  if (!(x >= 0 && x <= max))
    throw ArgumentRangeError(std::string(name) + " must be in " + range + ", got " + describe(info[i]));
  return x;
}

}  // namespace

// tieLocal(weight, bias | null, strength): in place, every output position's bank W_p (and bias b_p)
// ← (1 − strength)·W_p + strength·W̄, W̄ the mean over positions (summed in double in position order).
// strength in [0, 1]: 1 sets every position to the mean exactly, 0 changes nothing.
WSR_EXPORT(tieLocal) {
  expect_arg_count(info, 3);
  const double strength = nonnegative_arg(info, 2, "strength", 1.0, "[0, 1]");
  const Operands t(info, {output(0, "weight", 6, kWeightDims), output(1, "bias", 3, kBiasDims).optional()});
  const LocalLayer l = local_layer(t["weight"], t.get("bias"));
  t.check_placement();
  WSR_DISPATCH(t.device(), tie_local, l.positions, l.bank, l.k, t.f32("weight"), t.f32("bias"), strength);
  return info.Env().Undefined();
}

// tiePenaltyBackward(weight, bias | null, dweight, dbias | null, lambda, stats): the soft-tying penalty
// λ/2·(Σ_p ||W_p − W̄||² + Σ_p ||b_p − b̄||²). Adds its gradient λ·(W_p − W̄) to dweight (λ·(b_p − b̄) to
// dbias) and its value to stats[0] (float32 [1], accumulated so the host reads it once an epoch).
// bias and dbias are both tensors or both null; lambda >= 0 (0 changes nothing).
WSR_EXPORT(tiePenaltyBackward) {
  expect_arg_count(info, 6);
  const double lambda = nonnegative_arg(info, 4, "lambda", FLT_MAX, "[0, 3.4e38] (finite, >= 0)");
  const Operands t(info, {input(0, "weight", 6, kWeightDims), input(1, "bias", 3, kBiasDims).optional(),
                          output(2, "dweight", 6, kWeightDims), output(3, "dbias", 3, kBiasDims).optional(),
                          output(5, "stats", 1, "1")});
  const LocalLayer l = local_layer(t["weight"], t.get("bias"));
  expect_shape(t["dweight"], t["weight"].shape(), "dweight");
  if ((t.get("bias") == nullptr) != (t.get("dbias") == nullptr))
    throw ArgumentTypeError("bias and dbias must both be tensors or both be null");
  if (t.get("dbias")) expect_shape(t["dbias"], t["bias"].shape(), "dbias");
  expect_shape(t["stats"], {1}, "stats");
  t.check_placement();
  const Device d = t.device();
  if (d.is_cuda()) {
    // The CUDA reduction's partial sums, in double: not the float workspace of WSR_DISPATCH_WITH_WORKSPACE.
    const int64_t doubles = penalty_workspace_doubles(l.bank, l.k, t.get("bias") != nullptr);
    const WorkspaceLease workspace(d, static_cast<size_t>(doubles) * sizeof(double));
    WSR_ON_CUDA(d, cuda::tie_penalty_backward(l.positions, l.bank, l.k, t.f32("weight"), t.f32("bias"),
                                              t.f32("dweight"), t.f32("dbias"), lambda, t.f32("stats"),
                                              workspace.as<double>()));
  } else {
    cpu::tie_penalty_backward(l.positions, l.bank, l.k, t.f32("weight"), t.f32("bias"), t.f32("dweight"),
                              t.f32("dbias"), lambda, t.f32("stats"));
  }
  return info.Env().Undefined();
}

// maskInputs(x, mask, out): out[n, ...] = x[n, ...] · mask[...] for every sample n. x [N, ...S], mask
// [...S], out of x's shape; out may be x (in place).
WSR_EXPORT(maskInputs) {
  expect_arg_count(info, 3);
  const Operands t(info, {input(0, "x"), input(1, "mask"), output(2, "out").may_be("x")});
  const Tensor &x = t["x"], &mask = t["mask"];
  if (x.rank() < 1) throw ArgumentRangeError("x must have a batch dimension (N,...), got shape " + shape_str(x.shape()));
  expect_shape(mask, Shape(x.shape().begin() + 1, x.shape().end()), "mask");
  expect_shape(t["out"], x.shape(), "out");
  t.check_placement();
  WSR_DISPATCH(t.device(), mask_inputs, x.dim(0), mask.size(), t.f32("x"), t.f32("mask"), t.f32("out"));
  return info.Env().Undefined();
}

}  // namespace wsr::binding
