#include "runtime.h"

#include <cuda_runtime.h>

#include <new>

namespace wsr::cuda {
namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    cudaGetLastError();  // clear the sticky non-fatal error so later calls can proceed
    throw std::runtime_error(std::string(what) + ": CUDA error: " + cudaGetErrorString(status));
  }
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
    if (reason) *reason = cudaGetErrorString(status);
    return 0;
  }
  if (count == 0 && reason) *reason = "no CUDA device found";
  return count;
}

DeviceInfo device_info(int index) {
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, index), "device_info");
  return DeviceInfo{index, prop.name, prop.totalGlobalMem, prop.major, prop.minor};
}

void set_device(int index) { check(cudaSetDevice(index), "set_device"); }

void* malloc_device(size_t bytes, int device) {
  set_device(device);
  void* ptr = nullptr;
  cudaError_t status = cudaMalloc(&ptr, bytes == 0 ? 1 : bytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();
    throw DeviceOutOfMemory("out of memory on cuda:" + std::to_string(device) + " allocating " +
                            std::to_string(bytes) + " bytes");
  }
  check(status, "malloc_device");
  return ptr;
}

void free_device(void* ptr, int device) noexcept {
  if (!ptr) return;
  cudaSetDevice(device);
  cudaFree(ptr);
}

void copy_to_device(void* dst, const void* src, size_t bytes, int device) {
  set_device(device);
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copy_to_device");
}

void copy_to_host(void* dst, const void* src, size_t bytes, int device) {
  set_device(device);
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copy_to_host");
}

void copy_device_to_device(void* dst, int dst_device, const void* src, int src_device, size_t bytes) {
  if (dst_device == src_device) {
    set_device(dst_device);
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, 0), "copy_device_to_device");
  } else {
    check(cudaMemcpyPeer(dst, dst_device, src, src_device, bytes), "copy_device_to_device");
  }
}

void zero_device(void* ptr, size_t bytes, int device) {
  set_device(device);
  check(cudaMemsetAsync(ptr, 0, bytes, 0), "zero_device");
}

void synchronize(int device) {
  set_device(device);
  check(cudaDeviceSynchronize(), "synchronize");
}

void check_launch(const char* what) { check(cudaGetLastError(), what); }

}  // namespace wsr::cuda
