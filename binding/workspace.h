// Scratch device memory for kernels that need a workspace (conv weight gradient partial sums, LC
// input gradient patches, distance reductions). One buffer per device is kept and grown on demand:
// a fresh buffer per call would cost an allocation and, on CUDA, a synchronising cudaFree every
// training step. Sharing it is safe because all kernels run on the device's default stream in
// submission order, and the lease's lock keeps two threads' launches apart.
#pragma once
#include <cstddef>
#include <mutex>

#include "device.h"

namespace wsr::binding {

class WorkspaceLease {
 public:
  // Holds the workspace of `device`, at least `bytes` long (null when bytes is 0), until destroyed.
  WorkspaceLease(Device device, size_t bytes);
  WorkspaceLease(const WorkspaceLease&) = delete;
  WorkspaceLease& operator=(const WorkspaceLease&) = delete;

  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }

 private:
  std::unique_lock<std::mutex> lock_;
  void* data_ = nullptr;
};

}  // namespace wsr::binding
