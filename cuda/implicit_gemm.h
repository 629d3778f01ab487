// How the implicit-GEMM engine (cuda/implicit_gemm.cuh) runs a product: the tile it computes per block and
// how many slices its reduction is split into (split-K, summed afterwards in a fixed order). Plain C++
// header (no CUDA types): the check programs force plans through it.
#pragma once
#include <cstdint>

namespace wsr::cuda {

struct GemmPlan {
  int tile = 128;      // square tiles of 128 (8 × 8 outputs per thread) or 64 (4 × 4)
  int splits = 1;      // slices of the reduction; > 1 needs partial sums in the workspace
  double cycles = 0;   // the model's estimate: cycles of the busiest SM, the summing pass included
};

// Forces the engine's choices, so that a check or a benchmark can run every path on the same shape.
// 0 everywhere (the default) lets each launcher choose per shape; the binding never sets it.
//   tile: 64 or 128;  splits: n >= 1 (capped at the reduction's number of 8-wide steps);
//   conv_dgrad: 1 = stride phases, 2 = patch gradients summed into dx (col2im).
struct EngineOverride {
  int tile = 0;
  int splits = 0;
  int conv_dgrad = 0;
};
void set_engine_override(const EngineOverride& o);
EngineOverride engine_override();

// The paths the checks run every shape through: the engine's own choice, and both tiles with and without a
// split reduction (with conv's input gradient by stride phases, then by patch gradients).
struct EnginePath {
  const char* name;
  EngineOverride force;
};
inline constexpr EnginePath kEnginePaths[] = {
    {"auto", {}},
    {"t64", {64, 1, 1}},
    {"t128/s3", {128, 3, 2}},
    {"t64/s2", {64, 2, 2}},
    {"t128", {128, 1, 1}},
};

// The plan for `items` products of m × n over a reduction of length r on the current device: the tile and
// split count with the least estimated time (bench/results/notes.md explains the model). Deterministic for a
// shape and an SM count, so results repeat exactly on the same GPU.
// largest_tile: 64 for a problem whose per-item descriptors take the registers the 128 tile needs.
GemmPlan plan_gemm(int64_t m, int64_t n, int64_t r, int64_t items, int largest_tile = 128);

// The model's estimate for a kernel that streams `bytes` through device memory (a layout pass): its
// launch and the bytes at the memory's bandwidth, in the same cycles as GemmPlan::cycles.
double streaming_cycles(int64_t bytes);

// Floats of partial sums a plan needs for `items` products of at most max_mn outputs each (0 unsplit).
inline int64_t split_floats(const GemmPlan& p, int64_t max_mn, int64_t items) {
  return p.splits > 1 ? int64_t{p.splits} * items * max_mn : 0;
}

}  // namespace wsr::cuda
