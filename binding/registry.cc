#include "registry.h"

#include <new>
#include <string>

#include "args.h"
#include "device.h"

namespace wsr::binding {

std::vector<Export>& exports() {
  static std::vector<Export> all;
  return all;
}

namespace {

Napi::Value call_export(const Napi::CallbackInfo& info) {
  const auto* entry = static_cast<const Export*>(info.Data());
  const std::string prefix = std::string(entry->name) + ": ";
  try {
    return entry->fn(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const ArgumentTypeError& e) {
    throw Napi::TypeError::New(info.Env(), prefix + e.what());
  } catch (const ArgumentRangeError& e) {
    throw Napi::RangeError::New(info.Env(), prefix + e.what());
  } catch (const std::bad_alloc& e) {
    const std::string what = e.what();
    throw Napi::Error::New(info.Env(), prefix + (what == "std::bad_alloc" ? "out of memory" : what));
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), prefix + e.what());
  }
}

}  // namespace

void install_exports(Napi::Env env, Napi::Object target) {
  for (const Export& entry : exports()) {
    target.Set(entry.name, Napi::Function::New(env, call_export, entry.name,
                                               const_cast<Export*>(&entry)));
  }
}

}  // namespace wsr::binding
