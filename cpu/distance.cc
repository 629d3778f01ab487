// CPU filter divergence metrics: bank norms and pair dot products in parallel (double sums, eight
// independent accumulators the compiler vectorises), then serial means in a fixed order, so the
// result does not depend on the thread count.
#include "distance.h"

#include <vector>

#include "parallel.h"

namespace wsr {
namespace cpu {
namespace {

// Σ a[i]·b[i] in double: eight accumulators in a fixed order, then a fixed pairwise sum.
double dot_f64(const float* __restrict__ a, const float* __restrict__ b, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(a[i + k]) * static_cast<double>(b[i + k]);
  for (int k = 0; i < n; ++i, ++k) acc[k] += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// Σ(w-ref)², Σw·ref, Σw² of one bank in a single pass.
struct ReferenceSums {
  double diff2 = 0, dot = 0, norm2 = 0;
};
ReferenceSums reference_sums(const float* __restrict__ w, const float* __restrict__ ref, int64_t n) {
  double diff2[4] = {0, 0, 0, 0}, dot[4] = {0, 0, 0, 0}, norm2[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int k = 0; k < 4; ++k) {
      const double x = w[i + k], y = ref[i + k], d = x - y;
      diff2[k] += d * d;
      dot[k] += x * y;
      norm2[k] += x * x;
    }
  }
  for (int k = 0; i < n; ++i, ++k) {
    const double x = w[i], y = ref[i], d = x - y;
    diff2[k] += d * d;
    dot[k] += x * y;
    norm2[k] += x * x;
  }
  ReferenceSums s;
  s.diff2 = (diff2[0] + diff2[1]) + (diff2[2] + diff2[3]);
  s.dot = (dot[0] + dot[1]) + (dot[2] + dot[3]);
  s.norm2 = (norm2[0] + norm2[1]) + (norm2[2] + norm2[3]);
  return s;
}

}  // namespace

void local_distances(const float* w, const FilterGrid& grid, const RingLayout& layout, float* out) {
  const int64_t positions = grid.positions(), bank = grid.bank;
  std::vector<double> norms(static_cast<size_t>(positions));
  parallel_for(positions, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) norms[p] = dot_f64(w + p * bank, w + p * bank, bank);
  });

  // Per-slot weighted values (Euclidean, cosine), each unordered pair's dot product computed once.
  const int64_t total = layout.total_slots();
  std::vector<double> slot_values(static_cast<size_t>(2 * total));
  parallel_for(total, [&](int64_t begin, int64_t end) {
    int k = 0;
    for (int64_t s = begin; s < end; ++s) {
      while (s >= layout.slot_begin[k + 1]) ++k;
      const RingPair pair = ring_pair(grid, layout.radius[k], s - layout.slot_begin[k]);
      double euclidean = 0, cosine = 0;
      if (pair.weight != 0) {
        const double dot = dot_f64(w + pair.centre * bank, w + pair.neighbour * bank, bank);
        pair_distances(norms[pair.centre], norms[pair.neighbour], dot, &euclidean, &cosine);
        euclidean *= pair.weight;
        cosine *= pair.weight;
      }
      slot_values[2 * s] = euclidean;
      slot_values[2 * s + 1] = cosine;
    }
  });

  double frobenius2 = 0;
  for (double n : norms) frobenius2 += n;
  for (int k = 0; k < layout.count; ++k) {
    double euclidean_sum = 0, cosine_sum = 0;
    for (int64_t s = layout.slot_begin[k]; s < layout.slot_begin[k + 1]; ++s) {
      euclidean_sum += slot_values[2 * s];
      cosine_sum += slot_values[2 * s + 1];
    }
    ring_means(frobenius2, layout.slots(k), euclidean_sum, cosine_sum, out + 2 * k);
  }
}

void reference_distances(const float* w, const float* ref, const FilterGrid& grid, float* out) {
  const int64_t positions = grid.positions(), bank = grid.bank;
  const double ref_norm2 = dot_f64(ref, ref, bank);
  parallel_for(positions, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) {
      const ReferenceSums s = reference_sums(w + p * bank, ref, bank);
      reference_pair(s.diff2, s.dot, s.norm2, ref_norm2, out + p, out + positions + p);
    }
  });
}

}  // namespace cpu
}  // namespace wsr
