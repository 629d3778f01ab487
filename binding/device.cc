#include "device.h"

#include <cstdlib>
#include <cstring>
#include <new>

namespace wsr {
namespace {

struct HostOutOfMemory : std::bad_alloc {
  std::string message;
  explicit HostOutOfMemory(std::string m) : message(std::move(m)) {}
  const char* what() const noexcept override { return message.c_str(); }
};

constexpr size_t kAlignment = 64;  // one cache line, and room for AVX-512 loads

}  // namespace

void throw_no_cuda() {
  throw Error("this build of wsr-native has no CUDA kernels (built CPU-only); use device 'cpu'");
}

size_t dtype_size(DType t) { return t == DType::Uint8 ? 1 : 4; }
const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Uint8: return "uint8";
    default: return "int32";
  }
}

bool cuda_compiled() {
#ifdef WSR_WITH_CUDA
  return true;
#else
  return false;
#endif
}

int cuda_device_count(std::string* reason) {
#ifdef WSR_WITH_CUDA
  return cuda::device_count(reason);
#else
  if (reason) *reason = "wsr-native was built without CUDA";
  return 0;
#endif
}

Device parse_device(const std::string& text) {
  if (text == "cpu") return Device{};
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (text.size() > 4) {
      const std::string digits = text.substr(5);
      if (digits.empty() || digits.size() > 3 || digits.find_first_not_of("0123456789") != std::string::npos)
        throw Error("bad device '" + text + "': expected 'cpu', 'cuda' or 'cuda:N'");
      index = std::stoi(digits);
    }
    std::string reason;
    const int count = cuda_device_count(&reason);
    if (count == 0) throw Error("device '" + text + "' is not usable: " + reason);
    if (index >= count)
      throw Error("device '" + text + "' does not exist: " + std::to_string(count) + " CUDA device(s) found");
    return Device{Device::CUDA, index};
  }
  throw Error("bad device '" + text + "': expected 'cpu', 'cuda' or 'cuda:N'");
}

AllocationStats& allocation_stats() {
  static AllocationStats stats;
  return stats;
}

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  auto& stats = allocation_stats();
  if (device.is_cuda()) {
#ifdef WSR_WITH_CUDA
    data_ = cuda::malloc_device(bytes, device.index);
#else
    throw_no_cuda();
#endif
    stats.cuda_count++;
    stats.cuda_bytes += static_cast<int64_t>(bytes);
  } else {
    const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    data_ = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
    if (!data_) throw HostOutOfMemory("out of memory on cpu allocating " + std::to_string(bytes) + " bytes");
    stats.cpu_count++;
    stats.cpu_bytes += static_cast<int64_t>(bytes);
  }
}

Storage::~Storage() {
  auto& stats = allocation_stats();
  if (device_.is_cuda()) {
#ifdef WSR_WITH_CUDA
    cuda::free_device(data_, device_.index);
#endif
    stats.cuda_count--;
    stats.cuda_bytes -= static_cast<int64_t>(bytes_);
  } else {
    std::free(data_);
    stats.cpu_count--;
    stats.cpu_bytes -= static_cast<int64_t>(bytes_);
  }
}

void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  if (!dst_device.is_cuda() && !src_device.is_cuda()) {
    std::memcpy(dst, src, bytes);
    return;
  }
#ifdef WSR_WITH_CUDA
  if (dst_device.is_cuda() && src_device.is_cuda())
    cuda::copy_device_to_device(dst, dst_device.index, src, src_device.index, bytes);
  else if (dst_device.is_cuda())
    cuda::copy_to_device(dst, src, bytes, dst_device.index);
  else
    cuda::copy_to_host(dst, src, bytes, src_device.index);
#else
  throw_no_cuda();
#endif
}

}  // namespace wsr
