#include "workspace.h"

#include <map>
#include <memory>
#include <utility>

namespace wsr::binding {
namespace {

struct Workspaces {
  std::mutex mutex;
  std::map<std::pair<int, int>, std::unique_ptr<Storage>> buffers;  // by (device kind, index)
};

Workspaces& workspaces() {
  static auto* all = new Workspaces;  // never destroyed: freeing GPU memory at process exit is unsafe
  return *all;
}

}  // namespace

WorkspaceLease::WorkspaceLease(Device device, size_t bytes) : lock_(workspaces().mutex) {
  if (bytes == 0) return;
  std::unique_ptr<Storage>& buffer = workspaces().buffers[{device.kind, device.index}];
  if (!buffer || buffer->bytes() < bytes) {
    buffer.reset();  // freeing first lets the larger buffer reuse the memory; cudaFree waits for kernels using it
    buffer = std::make_unique<Storage>(bytes, device);
  }
  data_ = buffer->data();
}

}  // namespace wsr::binding
