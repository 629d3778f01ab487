// Degrees of weight sharing in a locally connected layer (../shared/RESEARCH.md): the mean bank over
// positions, the pull of every position toward it, and the soft-tying penalty. Shared by the CPU
// kernels (cpu/sharing.cc) and the CUDA kernels (cuda/sharing.cu), so that both devices compute the
// same values bit for bit.
//
// A weight [OH, OW, K, C, KH, KW] is read as a matrix [P, bank] (P = OH·OW positions, one contiguous
// bank of K·C·KH·KW floats per position), a bias [OH, OW, K] as [P, K]. Each column i of such a
// matrix is one element of the bank across positions; everything here works column by column:
//   mean_i    = (Σ_p x[p, i]) / P                  summed in double in position order
//   tie       x[p, i] ← (1 − α)·x[p, i] + α·mean_i  (α = 1: exactly float(mean_i), α = 0: untouched)
//   penalty   λ/2 · Σ_i Σ_p (x[p, i] − mean_i)²,   gradient λ·(x[p, i] − mean_i) added to dx[p, i]
// The penalty's total runs over "columns" c in [0, bank + K): the weight's columns, then the bias's.
// Each tile of kSharingTile consecutive columns is summed in column order, then the tiles in tile
// order; the CUDA kernels give a tile to a block and sum it the same way, so the sums agree exactly.
// Every double operation goes through wsr::rng's add/sub/mul/div, which no compiler fuses into an
// FMA (common/random.h), so nvcc's device code rounds as g++'s host code does.
#pragma once
#include <cstdint>

#include "common/random.h"

namespace wsr {

// Columns per tile of the penalty's sum (also the CUDA block size of the sharing kernels).
constexpr int kSharingTile = 128;

// The mean of a column from its sum over positions (accumulated as sum = add(sum, double(x)) in
// position order, starting at 0).
WSR_HOST_DEVICE inline double column_mean(double sum, int64_t positions) {
  return rng::div(sum, static_cast<double>(positions));
}

// (1 − α)·x + α·mean rounded to float; exactly float(mean) when α = 1 (callers skip α = 0).
WSR_HOST_DEVICE inline float tied_value(float x, double mean, double strength) {
  if (strength == 1.0) return static_cast<float>(mean);
  return static_cast<float>(rng::add(rng::mul(rng::sub(1.0, strength), static_cast<double>(x)), rng::mul(strength, mean)));
}

// One element of the penalty: *dx += λ·(x − mean) (rounded to float); squares += (x − mean)².
WSR_HOST_DEVICE inline void penalty_element(float x, double mean, double lambda, float* dx, double* squares) {
  const double d = rng::sub(static_cast<double>(x), mean);
  *squares = rng::add(*squares, rng::mul(d, d));
  *dx = static_cast<float>(rng::add(static_cast<double>(*dx), rng::mul(lambda, d)));
}

// Columns of the penalty's sum, and its tiles.
WSR_HOST_DEVICE inline int64_t penalty_columns(int64_t bank, int64_t k, bool bias) { return bank + (bias ? k : 0); }
WSR_HOST_DEVICE inline int64_t penalty_tiles(int64_t columns) { return (columns + kSharingTile - 1) / kSharingTile; }
// Scratch the CUDA penalty needs: one double per tile (each tile's sum).
inline int64_t penalty_workspace_doubles(int64_t bank, int64_t k, bool bias) {
  return penalty_tiles(penalty_columns(bank, k, bias));
}

// stats += λ/2 · Σ squares (the penalty's value accumulated in float).
WSR_HOST_DEVICE inline float accumulate_penalty(float stats, double lambda, double squares) {
  return static_cast<float>(rng::add(static_cast<double>(stats), rng::mul(rng::mul(0.5, lambda), squares)));
}

}  // namespace wsr
