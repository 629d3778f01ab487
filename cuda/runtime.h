// Device management for the CUDA build: enumeration, memory, copies, errors.
// Plain C++ header (no CUDA types) so the binding and the check program include it with g++.
#pragma once
#include <cstddef>
#include <stdexcept>
#include <string>

namespace wsr::cuda {

struct DeviceInfo {
  int index;
  std::string name;
  size_t total_memory;
  int major, minor;  // compute capability
};

// Number of usable CUDA devices; 0 with *reason set (driver missing, no device, ...) when none.
int device_count(std::string* reason);
DeviceInfo device_info(int index);

void set_device(int index);
void* malloc_device(size_t bytes, int device);  // throws std::bad_alloc-derived error when out of memory
void free_device(void* ptr, int device) noexcept;
void copy_to_device(void* dst, const void* src, size_t bytes, int device);
void copy_to_host(void* dst, const void* src, size_t bytes, int device);
void copy_device_to_device(void* dst, int dst_device, const void* src, int src_device, size_t bytes);
void zero_device(void* ptr, size_t bytes, int device);
void synchronize(int device);

// Throws std::runtime_error("<what>: CUDA error <name>: <description>") when a runtime call returned
// a cudaError_t other than cudaSuccess (passed as int: this header has no CUDA types).
void check_status(int cuda_status, const std::string& what);
// The same for the last kernel launch; `what` names it ("<launcher>/<kernel>"). With WSR_CUDA_SYNC=1 in
// the environment (read once) it also synchronises and checks again, so an asynchronous fault is reported
// by the launch that caused it: slow, for debugging.
void check_launch(const char* what);
// Whether WSR_CUDA_SYNC=1 was set when the process first asked.
bool sync_after_launch();

}  // namespace wsr::cuda
