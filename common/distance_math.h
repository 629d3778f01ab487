// Filter divergence metrics of a locally connected weight (PROTOCOL.md, "Divergence metric").
//
// The weight is a grid of per-position filter banks: position (i, j) of an [oh, ow] grid owns the
// `bank` contiguous floats starting at (i·ow + j)·bank (an LC weight [oh, ow, k, c, kh, kw] has
// bank = k·c·kh·kw). Sums run in double.
//
// Local distances, for each radius r: over every centre (i, j) with r <= i < oh-r, r <= j < ow-r
// and every neighbour (i+a, j+b) on the ring max(|a|, |b|) = r (8r of them), after dividing the
// whole weight by its Frobenius norm:
//   dist_r = mean ||W_ij - W_nb||₂      cos_r = mean (1 - cos(W_ij, W_nb))
// Euclidean distances come from norms and dot products (||a-b||² = ||a||² + ||b||² - 2a·b,
// clamped at 0): each position's squared norm is computed once, each unordered pair's dot product
// once (a pair whose two ends are both centres counts twice), and dividing by the Frobenius norm
// is applied to the mean at the end (cosines do not change under scaling).
// Undefined values are NaN: a radius with no centre (2r >= oh or ow) gives NaN for both; a zero
// weight (Frobenius norm 0) gives NaN for both; a cosine involving a zero bank is NaN (0/0), so a
// single zero bank on a ring makes that radius' cos_r NaN (its dist_r stays defined).
//
// Reference distances, per position: ||W_ij - ref||₂ / ||ref||₂ and 1 - cos(W_ij, ref), no
// Frobenius normalisation; a zero ref gives NaN for both, a zero bank NaN for its cosine.
//
// The pair layout, the slot decoding and the final formulas below are shared with the CUDA
// kernels (cuda/distance.cu), so both devices compute the same quantities in the same way.
#pragma once
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#ifndef WSR_HOST_DEVICE  // callable from CUDA kernels when compiled by nvcc
#ifdef __CUDACC__
#define WSR_HOST_DEVICE __host__ __device__
#else
#define WSR_HOST_DEVICE
#endif
#endif

namespace wsr {

struct FilterGrid {
  int64_t oh, ow;  // grid of positions
  int64_t bank;    // floats per position, contiguous
  WSR_HOST_DEVICE int64_t positions() const { return oh * ow; }
};

constexpr int kMaxRadii = 16;
// Guard against absurd radius lists on huge grids (the CIFAR layers need a few thousand).
constexpr int64_t kMaxRingSlots = int64_t{1} << 40;

// Centres of radius r: positions at least r away from every edge (0 when 2r >= oh or ow).
WSR_HOST_DEVICE inline int64_t ring_centres(const FilterGrid& g, int64_t r) {
  return (g.oh > 2 * r && g.ow > 2 * r) ? (g.oh - 2 * r) * (g.ow - 2 * r) : 0;
}

// Work items ("slots") of one call: slot s of radius index k, s in [slot_begin[k], slot_begin[k+1]),
// is (centre c, ring neighbour n) with c = local / (8r), n = ring offset local % (8r) from c,
// local = s - slot_begin[k]. Every (centre, neighbour) pair of the definition is one slot.
struct RingLayout {
  int count;                          // number of radii
  int64_t radius[kMaxRadii];          // as requested (duplicates allowed)
  int64_t slot_begin[kMaxRadii + 1];  // prefix sums of centres(r)·8r
  WSR_HOST_DEVICE int64_t total_slots() const { return slot_begin[count]; }
  WSR_HOST_DEVICE int64_t slots(int k) const { return slot_begin[k + 1] - slot_begin[k]; }
};

// Builds the layout for radii[0..count) (count in [1, kMaxRadii], radii >= 1); throws
// std::length_error when the radii give more than kMaxRingSlots pairs.
inline RingLayout ring_layout(const FilterGrid& grid, const int64_t* radii, int count) {
  RingLayout layout{};
  layout.count = count;
  layout.slot_begin[0] = 0;
  for (int k = 0; k < count; ++k) {
    const int64_t r = radii[k];
    layout.radius[k] = r;
    // centres > 0 implies 2r < min(oh, ow), so centres·8r <= positions·4·min(oh, ow) fits in int64.
    const int64_t centres = ring_centres(grid, r);
    const int64_t slots = centres == 0 ? 0 : centres * 8 * r;
    if (slots > kMaxRingSlots - layout.slot_begin[k])
      throw std::length_error("radii give more than 2^40 centre-neighbour pairs on a " + std::to_string(grid.oh) +
                              "x" + std::to_string(grid.ow) + " grid");
    layout.slot_begin[k + 1] = layout.slot_begin[k] + slots;
  }
  return layout;
}

// Offset (a, b) of the k-th of the 8r positions on the ring max(|a|, |b|) = r: the top row
// (a = -r, b = -r..r), the bottom row (a = r), then the left (b = -r) and right (b = r) columns
// without their corners (a = -r+1..r-1).
WSR_HOST_DEVICE inline void ring_offset(int64_t r, int64_t k, int64_t* a, int64_t* b) {
  const int64_t row = 2 * r + 1, column = 2 * r - 1;
  if (k < row) {
    *a = -r, *b = k - r;
  } else if (k < 2 * row) {
    *a = r, *b = k - row - r;
  } else if (k < 2 * row + column) {
    *b = -r, *a = k - 2 * row - r + 1;
  } else {
    *b = r, *a = k - 2 * row - column - r + 1;
  }
}

// One slot decoded: positions (linear indices i·ow + j) of the centre and the neighbour, and how
// many times the slot's pair value enters the mean. A pair whose two ends are both centres appears
// in two slots; the slot whose centre has the lower index carries it with weight 2, the other 0.
struct RingPair {
  int64_t centre, neighbour;
  int weight;  // 0, 1 or 2
};

WSR_HOST_DEVICE inline RingPair ring_pair(const FilterGrid& g, int64_t r, int64_t local_slot) {
  const int64_t ring = 8 * r;
  const int64_t c = local_slot / ring, k = local_slot % ring;
  const int64_t centre_cols = g.ow - 2 * r;
  const int64_t ci = r + c / centre_cols, cj = r + c % centre_cols;
  int64_t a, b;
  ring_offset(r, k, &a, &b);
  const int64_t ni = ci + a, nj = cj + b;  // in the grid: centres are r away from every edge
  RingPair p;
  p.centre = ci * g.ow + cj;
  p.neighbour = ni * g.ow + nj;
  const bool neighbour_is_centre = ni >= r && ni < g.oh - r && nj >= r && nj < g.ow - r;
  p.weight = !neighbour_is_centre ? 1 : (p.centre < p.neighbour ? 2 : 0);
  return p;
}

// Euclidean and cosine distance of two banks from their squared norms and dot product. NaN in,
// NaN out (the clamps are written as comparisons, which NaN fails).
WSR_HOST_DEVICE inline void pair_distances(double norm2_a, double norm2_b, double dot, double* euclidean,
                                           double* cosine) {
  double d2 = norm2_a + norm2_b - 2.0 * dot;
  if (d2 < 0.0) d2 = 0.0;  // rounding when a ≈ b
  *euclidean = sqrt(d2);
  double similarity = dot / sqrt(norm2_a * norm2_b);  // 0/0 = NaN for a zero bank
  if (similarity > 1.0) similarity = 1.0;
  if (similarity < -1.0) similarity = -1.0;
  *cosine = 1.0 - similarity;
}

// Final means of one radius: sums of the weighted slot values over `pairs` (= centres·8r) pairs;
// the Euclidean mean is divided by the Frobenius norm sqrt(frobenius2). Writes out[0..1].
WSR_HOST_DEVICE inline void ring_means(double frobenius2, int64_t pairs, double euclidean_sum, double cosine_sum,
                                       float* out) {
  if (pairs == 0 || !(frobenius2 > 0.0)) {
    out[0] = out[1] = static_cast<float>(NAN);
    return;
  }
  out[0] = static_cast<float>(euclidean_sum / static_cast<double>(pairs) / sqrt(frobenius2));
  out[1] = static_cast<float>(cosine_sum / static_cast<double>(pairs));
}

// Relative Euclidean and cosine distance of a bank from the reference, from Σ(w-ref)², Σw·ref,
// Σw², Σref². Writes out_euclidean[0] and out_cosine[0].
WSR_HOST_DEVICE inline void reference_pair(double diff2, double dot, double norm2_w, double norm2_ref,
                                           float* out_euclidean, float* out_cosine) {
  if (!(norm2_ref > 0.0)) {
    *out_euclidean = *out_cosine = static_cast<float>(NAN);
    return;
  }
  *out_euclidean = static_cast<float>(sqrt(diff2 / norm2_ref));
  double similarity = dot / sqrt(norm2_w * norm2_ref);
  if (similarity > 1.0) similarity = 1.0;
  if (similarity < -1.0) similarity = -1.0;
  *out_cosine = static_cast<float>(1.0 - similarity);
}

// Scratch the CUDA local_distances needs: one double per position, two per slot.
inline int64_t local_distances_workspace_doubles(const FilterGrid& g, const RingLayout& layout) {
  return g.positions() + 2 * layout.total_slots();
}

}  // namespace wsr
