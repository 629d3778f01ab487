// A device copy of a host vector of any element type (uint8 datasets, int32 index lists, floats),
// freed on scope exit; check.h's DeviceBuffer covers float only.
#pragma once
#ifdef WSR_WITH_CUDA
#include <vector>

#include "cuda/runtime.h"

namespace wsr::check {

template <typename T>
struct DeviceArray {
  T* ptr = nullptr;
  size_t count = 0;
  explicit DeviceArray(const std::vector<T>& host) : count(host.size()) {
    ptr = static_cast<T*>(cuda::malloc_device(count * sizeof(T), 0));
    cuda::copy_to_device(ptr, host.data(), count * sizeof(T), 0);
  }
  explicit DeviceArray(size_t n) : count(n) { ptr = static_cast<T*>(cuda::malloc_device(n * sizeof(T), 0)); }
  ~DeviceArray() { cuda::free_device(ptr, 0); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  std::vector<T> to_host() const {
    std::vector<T> host(count);
    cuda::copy_to_host(host.data(), ptr, count * sizeof(T), 0);
    return host;
  }
};

}  // namespace wsr::check
#endif
