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
  } catch (const Napi::Error& e) {
    // A JavaScript exception raised while the export ran: by N-API itself, or by JavaScript the
    // export ran (an array element getter), which may throw anything, not only Errors. One that
    // already names the export passes unchanged; any other becomes an Error that names it, with
    // the thrown value as its cause.
    const std::string message = exception_message(e);
    if (message.rfind(prefix, 0) == 0) throw;
    Napi::Error named = Napi::Error::New(info.Env(), prefix + message);
    named.Set("cause", e.Value());
    throw named;
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
