#include "runtime.h"

#include <cuda_runtime.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace wsr::cuda {
namespace {

// "cudaErrorNoDevice: no CUDA-capable device is detected": the runtime's name and its description,
// so a message can be searched for and read.
std::string error_text(cudaError_t status) {
  return std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
}

struct DeviceOutOfMemory : std::bad_alloc {
  std::string message;
  explicit DeviceOutOfMemory(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

}  // namespace

int device_count(std::string* reason) {
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    if (reason) *reason = error_text(status);
    return 0;
  }
  if (count == 0 && reason) *reason = "no CUDA device found";
  return count;
}

DeviceInfo device_info(int index) {
  cudaDeviceProp prop{};
  check_status(cudaGetDeviceProperties(&prop, index), "device_info");
  return DeviceInfo{index, prop.name, prop.totalGlobalMem, prop.major, prop.minor};
}

void set_device(int index) { check_status(cudaSetDevice(index), "set_device"); }

void* malloc_device(size_t bytes, int device) {
  set_device(device);
  void* ptr = nullptr;
  cudaError_t status = cudaMalloc(&ptr, bytes == 0 ? 1 : bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw DeviceOutOfMemory("out of memory on cuda:" + std::to_string(device) + " allocating " +
                            std::to_string(bytes) + " bytes (" + error_text(status) + ")");
  }
  check_status(status, "malloc_device");
  return ptr;
}

void free_device(void* ptr, int device) noexcept {
  if (!ptr) return;
  cudaSetDevice(device);
  cudaFree(ptr);
}

void copy_to_device(void* dst, const void* src, size_t bytes, int device) {
  set_device(device);
  check_status(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copy_to_device");
}

void copy_to_host(void* dst, const void* src, size_t bytes, int device) {
  set_device(device);
  check_status(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copy_to_host");
}

void copy_device_to_device(void* dst, int dst_device, const void* src, int src_device, size_t bytes) {
  if (dst_device == src_device) {
    set_device(dst_device);
    check_status(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0), "copy_device_to_device");
  } else {
    check_status(cudaMemcpyPeer(dst, dst_device, src, src_device, bytes), "copy_device_to_device");
  }
}

void zero_device(void* ptr, size_t bytes, int device) {
  set_device(device);
  check_status(cudaMemsetAsync(ptr, 0, bytes, 0), "zero_device");
}

void synchronize(int device) {
  set_device(device);
  check_status(cudaDeviceSynchronize(), "synchronize");
}

void check_status(int cuda_status, const std::string& what) {
  const auto status = static_cast<cudaError_t>(cuda_status);
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky non-fatal error so later calls can proceed
    throw std::runtime_error(what + ": CUDA error " + error_text(status));
  }
}

bool sync_after_launch() {
  static const bool on = [] {
    const char* value = std::getenv("WSR_CUDA_SYNC");
    return value && std::strcmp(value, "1") == 0;
  }();
  return on;
}

void check_launch(const char* what) {
  check_status(cudaGetLastError(), what);
  if (sync_after_launch()) check_status(cudaDeviceSynchronize(), what);
}

}  // namespace wsr::cuda
