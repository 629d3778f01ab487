// Exports of low-rank local connectivity (cpu/lowrank.h, cuda/lowrank.h): mixing R basis banks into a
// locally connected layer's weight and bias, and the gradients of that mixing. Layouts: bases
// [R,K,C,KH,KW] (each a conv weight), basisBias [R,K], logits [OH,OW,R]; the materialised weight
// [OH,OW,K,C,KH,KW] and bias [OH,OW,K] are a locally connected layer's (local_exports.cc). Definitions in
// common/lowrank_math.h.
#include <string>

#include "args.h"
#include "cpu/lowrank.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/lowrank.h"
#endif

namespace wsr::binding {
namespace {

constexpr const char* kBasesDims = "R,K,C,KH,KW";
constexpr const char* kBasisBiasDims = "R,K";
constexpr const char* kLogitsDims = "OH,OW,R";
constexpr const char* kWeightDims = "OH,OW,K,C,KH,KW";
constexpr const char* kBiasDims = "OH,OW,K";

// The mixing's sizes from bases and logits, with the shapes of the weight-side tensors (the materialised
// weight and bias, or their gradients: named `weight` and `bias`) checked against them. basisBias and
// `bias` are both given or both null.
LowRankShape low_rank_shape(const Operands& t, const char* weight, const char* bias) {
  const Tensor &bases = t["bases"], &logits = t["logits"];
  if (bases.size() == 0) throw ArgumentRangeError("bases must not be empty, got shape " + shape_str(bases.shape()));
  if (logits.dim(0) == 0 || logits.dim(1) == 0)
    throw ArgumentRangeError("logits must have at least one output position, got shape " + shape_str(logits.shape()));
  if (logits.dim(2) != bases.dim(0))
    throw ArgumentRangeError("logits has " + std::to_string(logits.dim(2)) +
                             " combining weights per position (dimension 2) but bases has " +
                             std::to_string(bases.dim(0)) + " bases (dimension 0)");
  const int64_t oh = logits.dim(0), ow = logits.dim(1), k = bases.dim(1);
  const Shape& b = bases.shape();
  expect_shape(t[weight], {oh, ow, b[1], b[2], b[3], b[4]}, weight);
  if ((t.get("basisBias") == nullptr) != (t.get(bias) == nullptr))
    throw ArgumentTypeError(std::string("basisBias and ") + bias + " must both be tensors or both be null");
  if (t.get("basisBias")) {
    expect_shape(t["basisBias"], {b[0], k}, "basisBias");
    expect_shape(t[bias], {oh, ow, k}, bias);
  }
  return LowRankShape{oh * ow, b[0], bases.size() / b[0], k};
}

}  // namespace

// lowRankMix(bases, basisBias | null, logits, weight, bias | null): the low-rank layer's locally connected
// weight and bias, weight[i,j] = Σ_r a[i,j,r]·bases[r] and bias[i,j] = Σ_r a[i,j,r]·basisBias[r] with
// a[i,j] = softmax(logits[i,j]) over r (overwritten). basisBias and bias are both tensors or both null.
WSR_EXPORT(lowRankMix) {
  expect_arg_count(info, 5);
  const Operands t(info, {input(0, "bases", 5, kBasesDims), input(1, "basisBias", 2, kBasisBiasDims).optional(),
                          input(2, "logits", 3, kLogitsDims), output(3, "weight", 6, kWeightDims),
                          output(4, "bias", 3, kBiasDims).optional()});
  const LowRankShape s = low_rank_shape(t, "weight", "bias");
  t.check_placement();
  WSR_DISPATCH_WITH_WORKSPACE(t.device(), low_rank_mix, s, t.f32("bases"), t.f32("basisBias"), t.f32("logits"),
                              t.f32("weight"), t.f32("bias"));
  return info.Env().Undefined();
}

// lowRankMixBackward(bases, basisBias | null, logits, dweight, dbias | null, dBases, dBasisBias | null,
// dLogits): given the gradients dweight [OH,OW,K,C,KH,KW] and dbias [OH,OW,K] of a loss with respect to the
// materialised weight and bias, its gradients with respect to the bases, the basis biases and the logits
// (overwritten, not accumulated). basisBias, dbias and dBasisBias are all tensors or all null.
WSR_EXPORT(lowRankMixBackward) {
  expect_arg_count(info, 8);
  const Operands t(info, {input(0, "bases", 5, kBasesDims), input(1, "basisBias", 2, kBasisBiasDims).optional(),
                          input(2, "logits", 3, kLogitsDims), input(3, "dweight", 6, kWeightDims),
                          input(4, "dbias", 3, kBiasDims).optional(), output(5, "dBases", 5, kBasesDims),
                          output(6, "dBasisBias", 2, kBasisBiasDims).optional(),
                          output(7, "dLogits", 3, kLogitsDims)});
  const LowRankShape s = low_rank_shape(t, "dweight", "dbias");
  expect_shape(t["dBases"], t["bases"].shape(), "dBases");
  if ((t.get("basisBias") == nullptr) != (t.get("dBasisBias") == nullptr))
    throw ArgumentTypeError("basisBias and dBasisBias must both be tensors or both be null");
  if (t.get("dBasisBias")) expect_shape(t["dBasisBias"], t["basisBias"].shape(), "dBasisBias");
  expect_shape(t["dLogits"], t["logits"].shape(), "dLogits");
  t.check_placement();
  WSR_DISPATCH_WITH_WORKSPACE(t.device(), low_rank_mix_backward, s, t.f32("bases"), t.f32("basisBias"),
                              t.f32("logits"), t.f32("dweight"), t.f32("dbias"), t.f32("dBases"), t.f32("dBasisBias"),
                              t.f32("dLogits"));
  return info.Env().Undefined();
}

}  // namespace wsr::binding
