// Module entry point: the tensor class plus every WSR_EXPORT from the other binding files.
#include <napi.h>

#include "addon_data.h"
#include "registry.h"
#include "tensor.h"

namespace wsr::binding {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  Napi::Function tensor_class = Tensor::define_class(env);
  data->tensor_constructor = Napi::Persistent(tensor_class);
  data->array_buffer_constructor = Napi::Persistent(env.Global().Get("ArrayBuffer").As<Napi::Function>());
  env.SetInstanceData(data);
  exports.Set("NativeTensor", tensor_class);
  install_exports(env, exports);
  return exports;
}

}  // namespace wsr::binding

static Napi::Object init_module(Napi::Env env, Napi::Object exports) { return wsr::binding::init(env, exports); }

NODE_API_MODULE(wsr_native, init_module)
