// Runs a kernel on the device its tensors live on: wsr::cpu::fn or, on a CUDA device, wsr::cuda::fn
// (same name, same arguments) after selecting the device. A CPU-only build never names the CUDA
// function and throws for a CUDA device instead. Macros rather than templates for that reason: a
// CPU-only build has no CUDA symbols to take the address of.
#pragma once
#include <cstddef>

#include "device.h"
#include "workspace.h"

// WSR_DISPATCH(device, fn, args...): cpu::fn(args...) or cuda::fn(args...).
#define WSR_DISPATCH(device, fn, ...)                                    \
  do {                                                                   \
    const ::wsr::Device wsr_device_ = (device);                          \
    if (wsr_device_.is_cuda())                                           \
      WSR_ON_CUDA(wsr_device_, ::wsr::cuda::fn(__VA_ARGS__));            \
    else                                                                 \
      ::wsr::cpu::fn(__VA_ARGS__);                                       \
  } while (0)

// WSR_DISPATCH_WITH_WORKSPACE(device, fn, shape, args...): as WSR_DISPATCH(device, fn, shape, args...),
// except that the CUDA launcher also takes scratch memory, last: cuda::fn##_workspace(shape) floats,
// leased from the device's workspace (binding/workspace.h) for the call. Giving a CUDA launcher a
// workspace is then this one change at its export.
#ifdef WSR_WITH_CUDA
#define WSR_DISPATCH_WITH_WORKSPACE(device, fn, shape, ...)                                               \
  do {                                                                                                    \
    const ::wsr::Device wsr_device_ = (device);                                                           \
    if (wsr_device_.is_cuda()) {                                                                          \
      const ::wsr::binding::WorkspaceLease wsr_workspace_(                                                \
          wsr_device_, static_cast<size_t>(::wsr::cuda::fn##_workspace(shape)) * sizeof(float));          \
      WSR_ON_CUDA(wsr_device_, ::wsr::cuda::fn(shape, __VA_ARGS__, wsr_workspace_.as<float>()));         \
    } else {                                                                                              \
      ::wsr::cpu::fn(shape, __VA_ARGS__);                                                                 \
    }                                                                                                     \
  } while (0)
#else
#define WSR_DISPATCH_WITH_WORKSPACE(device, fn, shape, ...) WSR_DISPATCH(device, fn, shape, __VA_ARGS__)
#endif
