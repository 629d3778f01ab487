// Exports of the fused optimizer updates (cpu/optim.h, cuda/optim.h). Both update `param` and
// the state tensors in place; nothing is allocated.
#include <cfloat>
#include <cmath>
#include <initializer_list>
#include <string>

#include "args.h"
#include "cpu/optim.h"
#include "dispatch.h"
#include "operands.h"
#include "registry.h"
#ifdef WSR_WITH_CUDA
#include "cuda/optim.h"
#endif

namespace wsr::binding {
namespace {

std::string number_str(double x) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// A finite number in [lo, hi) (or [lo, hi] when hi_inclusive) that float32 can hold.
double hyperparameter_arg(const Napi::CallbackInfo& info, size_t i, const char* name, double lo, double hi,
                         bool hi_inclusive, const char* range) {
  const double x = number_arg(info, i, name);
  const bool in_range = x >= lo && (hi_inclusive ? x <= hi : x < hi) && std::fabs(x) <= FLT_MAX;
  if (!in_range) throw ArgumentRangeError(std::string(name) + " must be in " + range + ", got " + number_str(x));
  return x;
}

double learning_rate_arg(const Napi::CallbackInfo& info, size_t i) {
  return hyperparameter_arg(info, i, "lr", 0, FLT_MAX, true, "[0, 3.4e38] (finite, >= 0)");
}
double weight_decay_arg(const Napi::CallbackInfo& info, size_t i) {
  return hyperparameter_arg(info, i, "weightDecay", 0, FLT_MAX, true, "[0, 3.4e38] (finite, >= 0)");
}
// In [0, 1) also after rounding to float32 (0.99999999999 would round to 1).
double unit_interval_arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  const double x = hyperparameter_arg(info, i, name, 0, 1, false, "[0, 1)");
  if (!(static_cast<float>(x) < 1.f))
    throw ArgumentRangeError(std::string(name) + " must be in [0, 1) in float32, got " + number_str(x));
  return x;
}

// Every tensor in `names` has exactly the parameter's shape.
void expect_shapes_of_param(const Operands& t, std::initializer_list<const char*> names) {
  for (const char* name : names) expect_shape(t[name], t["param"].shape(), name);
}

}  // namespace

// sgdUpdate(param, grad, velocity, lr, momentum, nesterov, weightDecay): one SGD step in place
// (PyTorch semantics, see common/optim_config.h). With momentum 0 the velocity is left untouched.
WSR_EXPORT(sgdUpdate) {
  expect_arg_count(info, 7);
  const Operands t(info, {input(1, "grad"), output(0, "param"), output(2, "velocity")});
  SgdConfig config{};
  config.lr = static_cast<float>(learning_rate_arg(info, 3));
  config.momentum = static_cast<float>(unit_interval_arg(info, 4, "momentum"));
  config.nesterov = bool_arg(info, 5, "nesterov");
  config.weight_decay = static_cast<float>(weight_decay_arg(info, 6));
  expect_shapes_of_param(t, {"grad", "velocity"});
  t.check_placement();
  WSR_DISPATCH(t.device(), sgd_update, t.f32("param"), t.f32("grad"), t.f32("velocity"), t["param"].size(), config);
  return info.Env().Undefined();
}

// adamUpdate(param, grad, m, v, lr, beta1, beta2, epsilon, step, weightDecay): Adam update number
// `step` (1 for the first) in place; bias corrections in double on the host (see common/optim_config.h).
WSR_EXPORT(adamUpdate) {
  expect_arg_count(info, 10);
  const Operands t(info, {input(1, "grad"), output(0, "param"), output(2, "m"), output(3, "v")});
  const double lr = learning_rate_arg(info, 4);
  const double beta1 = unit_interval_arg(info, 5, "beta1");
  const double beta2 = unit_interval_arg(info, 6, "beta2");
  const double epsilon = number_arg(info, 7, "epsilon");
  if (!(static_cast<float>(epsilon) > 0.f) || epsilon > FLT_MAX)
    throw ArgumentRangeError("epsilon must be > 0 and representable in float32, got " + number_str(epsilon));
  const int64_t step = int_arg(info, 8, "step", 1, int64_t{1} << 53);
  const double weight_decay = weight_decay_arg(info, 9);
  expect_shapes_of_param(t, {"grad", "m", "v"});
  t.check_placement();

  // Bias corrections in double from the hyperparameters as given; the same float32 config on both devices.
  const AdamConfig config = adam_config(lr, beta1, beta2, epsilon, step, weight_decay);
  WSR_DISPATCH(t.device(), adam_update, t.f32("param"), t.f32("grad"), t.f32("m"), t.f32("v"), t["param"].size(), config);
  return info.Env().Undefined();
}

}  // namespace wsr::binding
