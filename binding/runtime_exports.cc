// Exports about the runtime: tensor creation, devices, threads, live allocations.
#include "args.h"
#include "cpu/parallel.h"
#include "registry.h"

namespace wsr::binding {

// empty(shape, dtype, device): a tensor with uninitialised contents.
WSR_EXPORT(empty) {
  expect_arg_count(info, 3);
  const Shape shape = shape_arg(info, 0, "shape");
  const DType dtype = dtype_arg(info, 1, "dtype");
  const Device device = parse_device(string_arg(info, 2, "device"));
  return Tensor::create(info.Env(), shape, dtype, device);
}

// buildInfo(): how this binary was built.
WSR_EXPORT(buildInfo) {
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cuda", cuda_compiled());
  o.Set("napiVersion", NAPI_VERSION);
  return o;
}

// cudaStatus(): { compiled, deviceCount, reason }; reason is empty when a device is usable.
WSR_EXPORT(cudaStatus) {
  std::string reason;
  const int count = cuda_device_count(&reason);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("compiled", cuda_compiled());
  o.Set("deviceCount", count);
  o.Set("reason", count > 0 ? std::string() : reason);
  return o;
}

// cudaDevices(): [{ index, name, totalMemory, computeCapability }] of usable GPUs.
WSR_EXPORT(cudaDevices) {
  Napi::Env env = info.Env();
  const int count = cuda_device_count(nullptr);
  Napi::Array list = Napi::Array::New(env);
#ifdef WSR_WITH_CUDA
  for (int i = 0; i < count; ++i) {
    const cuda::DeviceInfo d = cuda::device_info(i);
    Napi::Object o = Napi::Object::New(env);
    o.Set("index", d.index);
    o.Set("name", d.name);
    o.Set("totalMemory", static_cast<double>(d.total_memory));
    o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
    list.Set(static_cast<uint32_t>(i), o);
  }
#else
  (void)count;
#endif
  return list;
}

// synchronize(device): waits for every queued kernel on the device; surfaces asynchronous CUDA errors.
WSR_EXPORT(synchronize) {
  const Device device = parse_device(string_arg(info, 0, "device"));
  if (device.is_cuda()) WSR_ON_CUDA(device, cuda::synchronize(device.index));
  return info.Env().Undefined();
}

WSR_EXPORT(numThreads) { return Napi::Number::New(info.Env(), cpu::num_threads()); }

// setNumThreads(n): threads used by CPU kernels, 1..1024.
WSR_EXPORT(setNumThreads) {
  cpu::set_num_threads(static_cast<int>(int_arg(info, 0, "threads", 1, 1024)));
  return Napi::Number::New(info.Env(), cpu::num_threads());
}

// memoryStats(): live native allocations by device kind.
WSR_EXPORT(memoryStats) {
  const AllocationStats& s = allocation_stats();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cpuAllocations", static_cast<double>(s.cpu_count.load()));
  o.Set("cpuBytes", static_cast<double>(s.cpu_bytes.load()));
  o.Set("cudaAllocations", static_cast<double>(s.cuda_count.load()));
  o.Set("cudaBytes", static_cast<double>(s.cuda_bytes.load()));
  return o;
}

}  // namespace wsr::binding
