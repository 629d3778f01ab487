// A small persistent thread pool shared by every CPU kernel.
#pragma once
#include <cstdint>
#include <functional>

namespace wsr::cpu {

// Number of threads CPU kernels use (default: all hardware threads).
int num_threads();
// Sets the thread count; n < 1 is clamped to 1. Not to be called from inside a parallel region.
void set_num_threads(int n);

// Splits [0, n) into at most num_threads() contiguous chunks of at least `grain` items and runs
// fn(begin, end) on each, the calling thread taking the first chunk. Blocks until every chunk is
// done. Called from inside a chunk it runs serially, so kernels may nest without deadlock.
void parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& fn, int64_t grain = 1);

}  // namespace wsr::cpu
