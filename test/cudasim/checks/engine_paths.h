// The implicit-GEMM engine paths a checker runs each shape through: every one of cuda::kEnginePaths in the
// full and fma variants; in the small one, whose point is the grid loops wrapping, the two that split the
// reduction (one per tile: the most blocks per product).
#pragma once
#include <string>
#include <vector>

#include "cuda/implicit_gemm.h"

namespace h {

inline std::vector<wsr::cuda::EnginePath> engine_paths() {
  std::vector<wsr::cuda::EnginePath> paths;
  for (const auto& p : wsr::cuda::kEnginePaths) {
#ifdef SIM_SMALL_GRID
    if (p.force.splits < 2) continue;
#endif
    paths.push_back(p);
  }
  return paths;
}

}  // namespace h
