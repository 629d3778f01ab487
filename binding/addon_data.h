// Per-environment state (one per Node.js thread that loads the addon).
#pragma once
#include <napi.h>

namespace wsr::binding {

struct AddonData {
  Napi::FunctionReference tensor_constructor;
  Napi::FunctionReference array_buffer_constructor;  // JavaScript's ArrayBuffer, for tensor.read
};

inline AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace wsr::binding
