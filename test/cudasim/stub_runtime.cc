// The two functions of cuda/runtime.h that the kernel files call, without a CUDA runtime.
#include "cuda/runtime.h"

#include <stdexcept>
#include <string>

namespace wsr::cuda {
void check_status(int cuda_status, const std::string& what) {
  if (cuda_status != 0) throw std::runtime_error(what + ": CUDA error " + std::to_string(cuda_status));
}
void check_launch(const char*) {}  // sim_launch aborts on an invalid configuration instead
}  // namespace wsr::cuda
