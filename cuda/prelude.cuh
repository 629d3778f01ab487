// Included by every .cu file, first: the launch limits and grid caps, ceil-div, grid-stride loops and the
// launch check, so each kernel file states only its kernels.
// check_launch (cuda/runtime.h) throws "<launcher>/<kernel>: CUDA error <name>: <description>" when a
// launch fails; with WSR_CUDA_SYNC=1 in the environment it also waits for the kernel and checks again, so
// an asynchronous fault (an illegal address, say) names the kernel that caused it instead of a later call.
#pragma once
#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "cuda/runtime.h"

namespace wsr::cuda {

// Threads per block of the elementwise and reduction kernels (a multiple of 32: whole warps).
constexpr int kThreads = 256;

// Grid caps. A 1-D grid takes at most kMaxBlocks blocks and its kernel loops over the rest (grid-stride);
// tile grids take at most kMaxGridX × kMaxGridYZ × kMaxGridYZ blocks (CUDA's own limits) and loop likewise.
// test/cudasim's "small" variant lowers all three, so that every such loop wraps on small inputs.
constexpr int64_t kMaxBlocks = 65535;
constexpr int64_t kMaxGridX = INT_MAX;
constexpr int64_t kMaxGridYZ = 65535;

__host__ __device__ constexpr int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }  // a >= 0, b >= 1

// A grid dimension for `count` blocks: at least 1, at most `cap`.
inline unsigned grid_dim(int64_t count, int64_t cap) { return static_cast<unsigned>(std::clamp<int64_t>(count, 1, cap)); }

// Blocks of `threads` threads for one thread per item, capped at kMaxBlocks.
inline unsigned blocks_for(int64_t items, int threads = kThreads) { return grid_dim(ceil_div(items, threads), kMaxBlocks); }

// A grid-stride loop over [0, n) on a 1-D grid: for (int64_t i = grid_start(); i < n; i += grid_step()).
__device__ inline int64_t grid_start() { return int64_t{blockIdx.x} * blockDim.x + threadIdx.x; }
__device__ inline int64_t grid_step() { return int64_t{gridDim.x} * blockDim.x; }

// SM count of the current device (a cheap host-side query); 80 if it cannot be read, which only affects speed.
inline int multiprocessor_count() {
  int device = 0, count = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, device) != cudaSuccess || count <= 0) {
    cudaGetLastError();  // not fatal here: a real failure shows at launch
    return 80;
  }
  return count;
}

// The kernels index within one tensor (or one workspace slice) with 32-bit integers: a launcher calls this
// for every extent it indexes that way, so a shape too large fails with a message instead of corrupting memory.
inline void require_int32(int64_t extent, const char* what) {
  if (extent > INT_MAX)
    throw std::length_error(std::string(what) + " spans " + std::to_string(extent) +
                            " elements; the CUDA kernels index at most 2^31-1");
}

}  // namespace wsr::cuda
