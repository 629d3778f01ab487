// Devices, element types and device memory owned by tensors. No N-API here.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#ifdef WSR_WITH_CUDA
#include "cuda/runtime.h"
// Evaluates a CUDA call after selecting the device; in a CPU-only build it throws instead.
#define WSR_ON_CUDA(device, expr)          \
  do {                                     \
    wsr::cuda::set_device((device).index); \
    expr;                                  \
  } while (0)
#else
#define WSR_ON_CUDA(device, expr) wsr::throw_no_cuda()
#endif

namespace wsr {

// An error whose message is shown to JavaScript as is.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void throw_no_cuda();

enum class DType : uint8_t { Float32, Uint8, Int32 };  // int32: index lists (batch orders)
size_t dtype_size(DType t);
const char* dtype_name(DType t);

struct Device {
  enum Kind : uint8_t { CPU, CUDA } kind = CPU;
  int index = 0;
  bool is_cuda() const { return kind == CUDA; }
  bool operator==(const Device& o) const { return kind == o.kind && (kind == CPU || index == o.index); }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return kind == CPU ? "cpu" : "cuda:" + std::to_string(index); }
};

// Parses "cpu", "cuda" or "cuda:N"; throws wsr::Error naming the bad string or unusable device.
Device parse_device(const std::string& text);
// Whether CUDA kernels were compiled in, and how many devices are usable (reason when none).
bool cuda_compiled();
int cuda_device_count(std::string* reason);

// Live native allocations, for leak tests and memoryStats().
struct AllocationStats {
  std::atomic<int64_t> cpu_count{0}, cpu_bytes{0}, cuda_count{0}, cuda_bytes{0};
};
AllocationStats& allocation_stats();

// One owned buffer on one device; freed when the last tensor sharing it is gone.
class Storage {
 public:
  Storage(size_t bytes, Device device);  // throws std::bad_alloc (with a message) when out of memory
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_;
  Device device_;
};

// Copies bytes between any two storages (host<->device, device<->device).
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);

}  // namespace wsr
