// CPU weight-sharing kernels. The column space [0, bank + k) (the weight's columns, then the bias's)
// is cut into tiles of kSharingTile columns, the unit of parallel work; a tile walks the positions row
// by row (contiguous reads), keeping each column's sum in position order, so every value is the one
// common/sharing_math.h defines whatever the thread count.
#include "cpu/sharing.h"

#include <algorithm>
#include <vector>

#include "cpu/parallel.h"

namespace wsr::cpu {
namespace {

constexpr int64_t kMaskGrain = 1 << 15;  // elements per chunk worth a thread hand-off

// Columns [i0, i1) of one [positions, size] matrix, the part of a tile that lies in it: read from x,
// written to out (the matrix itself when re-tying, its gradient for the penalty).
struct Segment {
  const float* x;
  float* out;
  int64_t size, i0, i1;
  int64_t count() const { return i1 - i0; }
};

// The one or two segments of tile t: the weight's columns, then the bias's (b null: none). Returns how many.
int tile_segments(int64_t t, int64_t bank, int64_t k, const float* w, const float* b, float* w_out, float* b_out,
                  Segment segments[2]) {
  const int64_t c0 = t * kSharingTile, c1 = std::min(c0 + kSharingTile, bank + (b ? k : 0));
  int n = 0;
  if (c0 < bank) segments[n++] = Segment{w, w_out, bank, c0, std::min(c1, bank)};
  if (c1 > bank) segments[n++] = Segment{b, b_out, k, std::max(c0, bank) - bank, c1 - bank};
  return n;
}

// mean[j] = the mean over positions of column s.i0 + j.
void segment_means(const Segment& s, int64_t positions, double* mean) {
  const int64_t n = s.count();
  std::fill(mean, mean + n, 0.0);
  for (int64_t p = 0; p < positions; ++p) {
    const float* row = s.x + p * s.size + s.i0;
    for (int64_t j = 0; j < n; ++j) mean[j] = rng::add(mean[j], static_cast<double>(row[j]));
  }
  for (int64_t j = 0; j < n; ++j) mean[j] = column_mean(mean[j], positions);
}

// Work of an op over a [positions, columns] matrix, for OpSize: a few passes of a flop or two per element.
double sharing_flops(int64_t positions, int64_t columns) { return 4.0 * static_cast<double>(positions) * columns; }

}  // namespace

void tie_local(int64_t positions, int64_t bank, int64_t k, float* w, float* b, double strength) {
  const int64_t columns = penalty_columns(bank, k, b != nullptr);
  if (strength == 0.0 || positions <= 0 || columns == 0) return;
  const OpSize size(sharing_flops(positions, columns));
  parallel_for(penalty_tiles(columns), [&](int64_t t0, int64_t t1) {
    double mean[kSharingTile];
    for (int64_t t = t0; t < t1; ++t) {
      Segment segments[2];
      const int n = tile_segments(t, bank, k, w, b, w, b, segments);  // in place
      for (int g = 0; g < n; ++g) {
        const Segment& s = segments[g];
        segment_means(s, positions, mean);
        for (int64_t p = 0; p < positions; ++p) {
          float* row = s.out + p * s.size + s.i0;
          for (int64_t j = 0; j < s.count(); ++j) row[j] = tied_value(row[j], mean[j], strength);
        }
      }
    }
  });
}

void tie_penalty_backward(int64_t positions, int64_t bank, int64_t k, const float* w, const float* b, float* dw,
                          float* db, double lambda, float* stats) {
  const bool bias = b != nullptr && db != nullptr;
  const int64_t columns = penalty_columns(bank, k, bias);
  if (lambda == 0.0 || positions <= 0 || columns == 0) return;
  const OpSize size(sharing_flops(positions, columns));
  const int64_t tiles = penalty_tiles(columns);
  std::vector<double> tile_sums(static_cast<size_t>(tiles));
  parallel_for(tiles, [&](int64_t t0, int64_t t1) {
    double mean[kSharingTile], squares[kSharingTile];
    for (int64_t t = t0; t < t1; ++t) {
      Segment segments[2];
      const int n = tile_segments(t, bank, k, w, bias ? b : nullptr, dw, db, segments);
      double tile = 0.0;
      for (int g = 0; g < n; ++g) {
        const Segment& s = segments[g];
        segment_means(s, positions, mean);
        std::fill(squares, squares + s.count(), 0.0);
        for (int64_t p = 0; p < positions; ++p) {
          const float* row = s.x + p * s.size + s.i0;
          float* grad = s.out + p * s.size + s.i0;
          for (int64_t j = 0; j < s.count(); ++j) penalty_element(row[j], mean[j], lambda, &grad[j], &squares[j]);
        }
        for (int64_t j = 0; j < s.count(); ++j) tile = rng::add(tile, squares[j]);
      }
      tile_sums[t] = tile;
    }
  });
  double total = 0.0;
  for (double s : tile_sums) total = rng::add(total, s);
  stats[0] = accumulate_penalty(stats[0], lambda, total);
}

void mask_inputs(int64_t count, int64_t sample, const float* x, const float* mask, float* out) {
  const int64_t n = count * sample;
  if (n <= 0) return;
  parallel_for(n, [&](int64_t e0, int64_t e1) {
    int64_t e = e0, i = e0 % sample;
    while (e < e1) {
      const int64_t len = std::min(sample - i, e1 - e);
      const float* src = x + e;
      float* dst = out + e;
      const float* m = mask + i;
      for (int64_t j = 0; j < len; ++j) dst[j] = src[j] * m[j];
      e += len;
      i = 0;
    }
  }, kMaskGrain);
}

}  // namespace wsr::cpu
