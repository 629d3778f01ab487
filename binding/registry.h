// Each binding file declares its exports with WSR_EXPORT; addon.cc installs them all.
// Errors thrown inside an export (wsr::Error, std::bad_alloc, CUDA errors) reach JavaScript as
// exceptions whose message starts with the export's name.
#pragma once
#include <napi.h>

#include <vector>

namespace wsr::binding {

using ExportFn = Napi::Value (*)(const Napi::CallbackInfo&);
struct Export {
  const char* name;
  ExportFn fn;
};
std::vector<Export>& exports();

struct RegisterExport {
  RegisterExport(const char* name, ExportFn fn) { exports().push_back({name, fn}); }
};

// Installs every registered export on `target`, each wrapped so C++ exceptions become JS errors.
void install_exports(Napi::Env env, Napi::Object target);

}  // namespace wsr::binding

// Defines an exported function; its JavaScript name is its C++ name.
#define WSR_EXPORT(name)                                                                  \
  static Napi::Value name(const Napi::CallbackInfo& info);                                \
  static const ::wsr::binding::RegisterExport name##_registration(#name, &name);          \
  static Napi::Value name(const Napi::CallbackInfo& info)
