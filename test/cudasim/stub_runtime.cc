// The functions of cuda/runtime.h that the kernel files call, without a CUDA runtime.
#include "cuda/runtime.h"

#include <stdexcept>
#include <string>

namespace wsr::cuda {
void check_status(int cuda_status, const std::string& what) {
  if (cuda_status != 0) throw std::runtime_error(what + ": CUDA error " + std::to_string(cuda_status));
}
void check_launch(const char*) {}  // sim_launch aborts on an invalid configuration instead, and runs synchronously
bool sync_after_launch() { return true; }  // a simulated launch has finished when it returns
}  // namespace wsr::cuda
