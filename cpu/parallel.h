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

// Work, in flops (2 per multiply-add), below which a whole op runs on the calling thread. Waking the
// pool costs 5-30 µs on the 2-core development machine (more when it is loaded), and one thread does
// about 1e11 flops/s in the GEMM, so splitting an op of W flops over two threads saves W / 2e11 s
// minus a wake-up per parallel region (an op has up to three: gather, GEMM, scatter). Below about
// 1e7 flops that is a loss: at batch 1, every conv and LC layer of the paper's networks (0.2-10.6
// MFLOP) measured faster on one thread. The same figure as the GEMM's own threshold (cpu/gemm.cc).
constexpr double kMinParallelFlops = 1.2e7;

// Sizes the op that creates it: while it is alive, every parallel_for on this thread runs on the
// calling thread alone when the op's `flops` are below kMinParallelFlops, and as usual otherwise.
// One decision per op, at its top, so its gathers, GEMMs and scatters agree. The results do not
// depend on it: the kernels split their work by the thread count, not by who runs the pieces.
class OpSize {
 public:
  explicit OpSize(double flops);
  ~OpSize();
  OpSize(const OpSize&) = delete;
  OpSize& operator=(const OpSize&) = delete;

 private:
  bool saved_;
};

}  // namespace wsr::cpu
