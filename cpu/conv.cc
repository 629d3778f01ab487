// Convolution as an implicit GEMM over a channels-last copy of the input: no im2col matrix is written.
//
// Each thread copies the images it works on to a padded NHWC buffer ([hp][wp][c], the zero padding in
// place), where the patch of output position (oy, ox) is kh runs of kw·c contiguous floats, one per filter
// row i, starting at ((oy·sh + i)·wp + ox·sw)·c. Patch entries are ordered p = (i·kw + j)·c + ci, and the
// weights are reordered once per call to match (Wr [k][kh][kw][c]). With positions (output pixels of all
// images) as GEMM rows:
//   forward          Y^T[pos, k]   = patch[pos, P] · Wr^T[P, k]   (+ b, written back to NCHW)
//   input gradient   dpatch[pos, P] = dY^T[pos, k] · Wr[k, P]      (added back onto the padded dx)
//   weight gradient  dWr^T[P, k]   = Σ_pos patch^T[P, pos] · dY^T[pos, k]
// Micro-panels of MR positions may straddle images, so even 3x3 outputs fill them; output channels or
// patch entries are the vector lanes. The GEMM's packers gather the panels straight from the NHWC copy
// (cpu/gemm.h), so the only extra memory traffic is that copy.
// Inputs of one channel go to the direct kernels of conv_one_channel.cc instead (forward and weight
// gradient; the input gradient's GEMM has depth k there and stays here).
#include "conv.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "conv_one_channel.h"
#include "gemm.h"
#include "parallel.h"
#include "transpose.h"

namespace wsr::cpu {
namespace {

// Positions per group at most: a group's NHWC images, its output rows and its panels stay in L2.
constexpr int64_t kMaxGroupPositions = 512;
// Patch entries per column block of the input gradient (its slice of Wr stays in L2).
constexpr int64_t kInputGradColumns = 320;

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

float* grow(std::vector<float>& buffer, int64_t count) {
  if (buffer.size() < static_cast<size_t>(count)) buffer.resize(static_cast<size_t>(count));
  return buffer.data();
}

// The problem, its padded channels-last image and the GEMM's panel geometry.
struct Conv {
  const WindowGeometry& s;
  int64_t hp, wp, c, P, Q, K;
  int64_t run;  // kw·c: floats of one filter row of a patch
  GemmPanels panels;

  explicit Conv(const WindowGeometry& g)
      : s(g),
        hp(std::max<int64_t>(g.pad_top + g.h, int64_t{g.oh - 1} * g.stride_h + g.kh)),
        wp(std::max<int64_t>(g.pad_left + g.w, int64_t{g.ow - 1} * g.stride_w + g.kw)),
        c(g.c),
        P(g.patch_size()),
        Q(g.positions()),
        K(g.k),
        run(int64_t{g.kw} * g.c),
        panels(gemm_panels()) {}
  int64_t image() const { return hp * wp * c; }
  // Offset of patch entry p within its position's patch (p = i·run + t).
  int64_t patch_offset(int64_t p) const { return p / run * wp * c + p % run; }
};

// Per-thread scratch, grown on demand and reused across calls.
struct Scratch {
  std::vector<float> images;  // padded NHWC images of the current group
  std::vector<float> rows;    // dY^T of the group, or its output rows
  std::vector<float> a;       // packed A micro-panels
  std::vector<float> b;       // packed B micro-panels
  std::vector<float> tile;    // one block of the input gradient's dpatch
  std::vector<const float*> patches;  // patch start of each position of the group
  int64_t first_image = -1, last_image = -1;  // images now in `images` (of the current call)
};
thread_local Scratch scratch;

// x's images [i0, i1) to padded NHWC in dst.
void to_padded_nhwc(const Conv& cv, const float* x, int64_t i0, int64_t i1, float* dst) {
  const WindowGeometry& s = cv.s;
  const int64_t plane = int64_t{s.h} * s.w;
  for (int64_t img = i0; img < i1; ++img) {
    float* d = dst + (img - i0) * cv.image();
    if (cv.hp == s.h && cv.wp == s.w) {  // unpadded: [c][h·w] -> [h·w][c], 16 channels at a time
      for (int64_t c0 = 0; c0 < s.c; c0 += 16)  // (16 input streams, which the prefetcher follows)
        transpose(x + (img * s.c + c0) * plane, std::min<int64_t>(16, s.c - c0), plane, plane, d + c0, cv.c);
      continue;
    }
    std::fill(d, d + cv.image(), 0.f);
    for (int64_t y = 0; y < s.h; ++y)
      transpose(x + img * s.c * plane + y * s.w, s.c, s.w, plane, d + ((y + s.pad_top) * cv.wp + s.pad_left) * cv.c,
                cv.c);
  }
}

// Makes images [i0, i1) the ones in scratch.images (kept while consecutive groups share them).
const float* hold_images(const Conv& cv, const float* x, int64_t i0, int64_t i1) {
  float* images = grow(scratch.images, (i1 - i0) * cv.image());
  if (scratch.first_image != i0 || scratch.last_image != i1) {
    to_padded_nhwc(cv, x, i0, i1, images);
    scratch.first_image = i0;
    scratch.last_image = i1;
  }
  return images;
}

// Patch starts of positions [g0, g1) in the held images.
const float* const* patch_starts(const Conv& cv, const float* images, int64_t g0, int64_t g1) {
  scratch.patches.resize(static_cast<size_t>(g1 - g0));
  const int64_t row_step = cv.s.stride_h * cv.wp * cv.c, column_step = cv.s.stride_w * cv.c;
  int64_t q = g0 % cv.Q, oy = q / cv.s.ow, ox = q % cv.s.ow;  // walked, not divided, per position
  const float* image = images;
  for (int64_t pos = g0; pos < g1; ++pos) {
    scratch.patches[pos - g0] = image + oy * row_step + ox * column_step;
    if (++ox == cv.s.ow) {
      ox = 0;
      if (++oy == cv.s.oh) oy = 0, image += cv.image();
    }
  }
  return scratch.patches.data();
}

// dY^T rows of positions [g0, g1): rows[pos - g0][k] = dy[img][k][q].
float* gather_rows(const Conv& cv, const float* dy, int64_t g0, int64_t g1) {
  float* rows = grow(scratch.rows, (g1 - g0) * cv.K);
  for (int64_t pos = g0; pos < g1;) {
    const int64_t img = pos / cv.Q, q0 = pos % cv.Q, qn = std::min(cv.Q - q0, g1 - pos);
    transpose(dy + img * cv.K * cv.Q + q0, cv.K, qn, cv.Q, rows + (pos - g0) * cv.K, cv.K);
    pos += qn;
  }
  return rows;
}

// Images per group: as many as fit kMaxGroupPositions, preferring a count whose positions fill whole
// micro-panels (25 positions per image and 14-row panels: 14 images), since a part-filled panel runs
// at a fraction of the kernel's speed.
int64_t group_images(const Conv& cv) {
  const int64_t most = std::max<int64_t>(1, kMaxGroupPositions / cv.Q), mr = cv.panels.mr;
  int64_t best = most;
  double best_waste = 1;
  for (int64_t g = most; g >= 1; --g) {
    const double waste = static_cast<double>(round_up(g * cv.Q, mr) - g * cv.Q) / static_cast<double>(g * cv.Q);
    if (waste < best_waste - 1e-9) best = g, best_waste = waste;
  }
  return best;
}

// Calls fn(g0, g1) for consecutive groups of positions covering [first, last): whole images
// (group_images of them) when an image has at most kMaxGroupPositions positions, else pieces of one image.
template <class Fn>
void for_groups(const Conv& cv, int64_t first, int64_t last, const Fn& fn) {
  const bool whole = cv.Q <= kMaxGroupPositions;
  const int64_t step = whole ? group_images(cv) * cv.Q : kMaxGroupPositions;
  for (int64_t g0 = first; g0 < last;) {
    const int64_t image_end = (g0 / cv.Q + 1) * cv.Q;
    const int64_t g1 = std::min(last, whole ? g0 + step : std::min(image_end, g0 + step));
    fn(g0, g1);
    g0 = g1;
  }
}

// Thread slot `slot` of `slots`: whole images when there are enough, else a share of the positions.
void slot_range(const Conv& cv, int64_t slot, int64_t slots, int64_t* first, int64_t* last) {
  const int64_t n = cv.s.n, total = n * cv.Q;
  if (n >= slots) {
    *first = n * slot / slots * cv.Q;
    *last = n * (slot + 1) / slots * cv.Q;
  } else {
    const int64_t mr = cv.panels.mr, units = (total + mr - 1) / mr;
    *first = std::min(total, units * slot / slots * mr);
    *last = std::min(total, units * (slot + 1) / slots * mr);
  }
}

// Runs fn(first, last) once per thread slot, over the slot's positions.
template <class Fn>
void for_slots(const Conv& cv, int64_t slots, const Fn& fn) {
  parallel_for(
      slots,
      [&](int64_t s0, int64_t s1) {
        scratch.first_image = scratch.last_image = -1;  // a new call: held images are stale
        for (int64_t slot = s0; slot < s1; ++slot) {
          int64_t first, last;
          slot_range(cv, slot, slots, &first, &last);
          fn(slot, first, last);
        }
      },
      1);
}

// Wr [k][kh][kw][c] from w [k][c][kh][kw].
void reorder_weights(const Conv& cv, const float* w, float* wr) {
  const int64_t taps = int64_t{cv.s.kh} * cv.s.kw;
  parallel_for(cv.K, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) transpose(w + k * cv.P, cv.c, taps, taps, wr + k * cv.P, cv.c);
  });
}

// Packs B[p, j] = B[p·rs + j·cs] (p < depth, j < n) for every depth block: block at p0 at dst + p0·round_up(n, NR).
void pack_b_blocks(const Conv& cv, const float* B, int64_t rs, int64_t cs, int64_t depth, int64_t n, float* dst) {
  const int64_t kc = gemm_depth_block(depth), padded = round_up(n, cv.panels.nr), blocks = (depth + kc - 1) / kc;
  parallel_for(blocks, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      const int64_t p0 = blk * kc;
      gemm_pack_b(B + p0 * rs, rs, cs, std::min(kc, depth - p0), n, dst + p0 * padded);
    }
  });
}

// The forward pass over positions [first, last).
void forward_positions(const Conv& cv, const float* x, const float* wpacked, const float* bias, float* y,
                       int64_t first, int64_t last) {
  const int64_t mr = cv.panels.mr, kc_max = gemm_depth_block(cv.P), k_padded = round_up(cv.K, cv.panels.nr);
  float* apanel = grow(scratch.a, mr * kc_max);
  for_groups(cv, first, last, [&](int64_t g0, int64_t g1) {
    const float* images = hold_images(cv, x, g0 / cv.Q, (g1 - 1) / cv.Q + 1);
    const float* const* patches = patch_starts(cv, images, g0, g1);
    const int64_t m = g1 - g0;
    float* out = grow(scratch.rows, m * cv.K);
    for (int64_t p0 = 0; p0 < cv.P; p0 += kc_max) {
      const int64_t kc = std::min(kc_max, cv.P - p0);
      for (int64_t ir = 0; ir < m; ir += mr) {
        const int count = static_cast<int>(std::min(mr, m - ir));
        for (int64_t p = p0; p < p0 + kc;) {  // one run of a filter row at a time
          const int64_t len = std::min(cv.run - p % cv.run, p0 + kc - p);
          gemm_pack_a_rows(patches + ir, count, cv.patch_offset(p), len, apanel + (p - p0) * mr);
          p += len;
        }
        gemm_panels_product(count, cv.K, kc, apanel, wpacked + p0 * k_padded, p0 == 0 ? 0.f : 1.f, out + ir * cv.K,
                            cv.K);
      }
    }
    for (int64_t pos = g0; pos < g1;) {  // back to NCHW, adding the bias
      const int64_t img = pos / cv.Q, q0 = pos % cv.Q, qn = std::min(cv.Q - q0, g1 - pos);
      transpose(out + (pos - g0) * cv.K, qn, cv.K, cv.K, y + img * cv.K * cv.Q + q0, cv.Q, bias);
      pos += qn;
    }
  });
}

// dWr^T [P][k] over positions [first, last) into acc (overwritten; zero when the range is empty).
void weight_grad_positions(const Conv& cv, const float* x, const float* dy, float* acc, int64_t first, int64_t last) {
  const int64_t mr = cv.panels.mr, k_padded = round_up(cv.K, cv.panels.nr);
  if (first >= last) std::fill(acc, acc + cv.P * cv.K, 0.f);
  bool fresh = true;  // acc not yet written
  for_groups(cv, first, last, [&](int64_t g0, int64_t g1) {
    const float* images = hold_images(cv, x, g0 / cv.Q, (g1 - 1) / cv.Q + 1);
    const float* const* patches = patch_starts(cv, images, g0, g1);
    const float* rows = gather_rows(cv, dy, g0, g1);
    const int64_t m = g1 - g0, kc_max = gemm_depth_block(m);
    float* apanel = grow(scratch.a, mr * kc_max);
    float* bpanels = grow(scratch.b, k_padded * kc_max);
    for (int64_t d0 = 0; d0 < m; d0 += kc_max) {  // depth: the group's positions
      const int64_t kc = std::min(kc_max, m - d0);
      gemm_pack_b(rows + d0 * cv.K, cv.K, 1, kc, cv.K, bpanels);
      for (int64_t ir = 0; ir < cv.P; ir += mr) {
        const int count = static_cast<int>(std::min(mr, cv.P - ir));
        for (int r0 = 0; r0 < count;) {  // rows of one filter-row run at a time
          const int64_t p = ir + r0;
          const int n = static_cast<int>(std::min<int64_t>(count - r0, cv.run - p % cv.run));
          gemm_pack_a_runs(patches + d0, cv.patch_offset(p), kc, r0, n, apanel);
          r0 += n;
        }
        gemm_panels_product(count, cv.K, kc, apanel, bpanels, fresh ? 0.f : 1.f, acc + ir * cv.K, cv.K);
      }
      fresh = false;
    }
  });
}

// dx of whole images [i0, i1) (the input gradient never splits an image: its patches overlap).
void input_grad_images(const Conv& cv, const float* dy, const float* wpacked, float* dx, int64_t i0, int64_t i1) {
  const WindowGeometry& s = cv.s;
  const int64_t mr = cv.panels.mr, kc_max = gemm_depth_block(cv.K), p_padded = round_up(cv.P, cv.panels.nr);
  const int64_t plane = int64_t{s.h} * s.w;
  for_groups(cv, i0 * cv.Q, i1 * cv.Q, [&](int64_t g0, int64_t g1) {
    const int64_t first = g0 / cv.Q, last = (g1 - 1) / cv.Q + 1, m = g1 - g0, m_padded = round_up(m, mr);
    float* images = grow(scratch.images, (last - first) * cv.image());
    if (g0 % cv.Q == 0) std::fill(images, images + (last - first) * cv.image(), 0.f);  // an image's first group
    scratch.first_image = scratch.last_image = -1;
    const float* const* patches = patch_starts(cv, images, g0, g1);
    const float* rows = gather_rows(cv, dy, g0, g1);
    float* apanels = grow(scratch.a, m_padded * cv.K);  // every A micro-panel of the group, per depth block
    for (int64_t k0 = 0; k0 < cv.K; k0 += kc_max) {
      const int64_t kc = std::min(kc_max, cv.K - k0);
      const float* row_starts[16];  // MR <= 16
      for (int64_t ir = 0; ir < m; ir += mr) {
        const int count = static_cast<int>(std::min(mr, m - ir));
        for (int r = 0; r < count; ++r) row_starts[r] = rows + (ir + r) * cv.K;
        gemm_pack_a_rows(row_starts, count, k0, kc, apanels + k0 * m_padded + ir * kc);
      }
    }
    const int64_t nc_max = std::min(round_up(kInputGradColumns, cv.panels.nr), p_padded);
    float* tile = grow(scratch.tile, mr * nc_max);
    for (int64_t jc = 0; jc < cv.P; jc += nc_max) {
      const int64_t nc = std::min(nc_max, cv.P - jc);
      for (int64_t ir = 0; ir < m; ir += mr) {
        const int count = static_cast<int>(std::min(mr, m - ir));
        for (int64_t k0 = 0; k0 < cv.K; k0 += kc_max) {
          const int64_t kc = std::min(kc_max, cv.K - k0);
          gemm_panels_product(count, nc, kc, apanels + k0 * m_padded + ir * kc, wpacked + k0 * p_padded + jc * kc,
                              k0 == 0 ? 0.f : 1.f, tile, nc);
        }
        for (int r = 0; r < count; ++r) {  // add each position's dpatch runs onto its patch
          float* patch = const_cast<float*>(patches[ir + r]);
          const float* t = tile + r * nc;
          for (int64_t p = jc; p < jc + nc;) {
            const int64_t len = std::min(cv.run - p % cv.run, jc + nc - p);
            float* d = patch + cv.patch_offset(p);
            const float* src = t + (p - jc);
            for (int64_t e = 0; e < len; ++e) d[e] += src[e];
            p += len;
          }
        }
      }
    }
    if (g1 % cv.Q != 0) return;  // the image continues in the next group
    for (int64_t img = first; img < last; ++img) {
      const float* src = images + (img - first) * cv.image();
      for (int64_t yy = 0; yy < s.h; ++yy)
        transpose(src + ((yy + s.pad_top) * cv.wp + s.pad_left) * cv.c, s.w, cv.c, cv.c, dx + img * cv.c * plane + yy * s.w,
                  plane);
    }
  });
}

// Σ of n floats in a fixed order; eight independent lanes so the loop vectorises without -ffast-math.
double sum_floats(const float* v, int64_t n) {
  float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) lanes[l] += v[i + l];
  double total = 0;
  for (int l = 0; l < 8; ++l) total += lanes[l];
  for (; i < n; ++i) total += v[i];
  return total;
}

// db[k] = Σ dy over images and positions, in double, in a fixed order.
void bias_grad(const WindowGeometry& s, const float* dy, float* db) {
  const int64_t Q = s.positions();
  parallel_for(s.k, [&](int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k) {
      double total = 0;
      for (int64_t img = 0; img < s.n; ++img) total += sum_floats(dy + (img * s.k + k) * Q, Q);
      db[k] = static_cast<float>(total);
    }
  });
}

// 2·MACs of any of the three passes.
double flops(const WindowGeometry& s) { return 2.0 * static_cast<double>(s.output_size()) * static_cast<double>(s.patch_size()); }

// Per-call buffers of the calling thread, shared with the pool while the call runs.
struct CallBuffers {
  std::vector<float> reordered, packed;
};
thread_local CallBuffers call_buffers;

}  // namespace

void conv2d_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y) {
  if (s.n == 0) return;
  const OpSize size(flops(s));
  if (conv2d_one_channel_applies(s)) return conv2d_one_channel_forward(s, x, w, b, y);
  const Conv cv(s);
  float* wr = grow(call_buffers.reordered, cv.K * cv.P);
  float* packed = grow(call_buffers.packed, cv.P * round_up(cv.K, cv.panels.nr));
  reorder_weights(cv, w, wr);
  pack_b_blocks(cv, wr, 1, cv.P, cv.P, cv.K, packed);  // B[p, k] = Wr[k][p]
  for_slots(cv, num_threads(), [&](int64_t, int64_t first, int64_t last) {
    forward_positions(cv, x, packed, b, y, first, last);
  });
}

void conv2d_backward_input(const WindowGeometry& s, const float* dy, const float* w, float* dx) {
  if (s.n == 0) return;
  const OpSize size(flops(s));
  const Conv cv(s);
  float* wr = grow(call_buffers.reordered, cv.K * cv.P);
  float* packed = grow(call_buffers.packed, cv.K * round_up(cv.P, cv.panels.nr));
  reorder_weights(cv, w, wr);
  pack_b_blocks(cv, wr, cv.P, 1, cv.K, cv.P, packed);  // B[k, p] = Wr[k][p]
  parallel_for(s.n, [&](int64_t i0, int64_t i1) { input_grad_images(cv, dy, packed, dx, i0, i1); });
}

void conv2d_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw, float* db) {
  if (s.n == 0) {
    std::fill(dw, dw + s.conv_weight_size(), 0.f);
    if (db) std::fill(db, db + s.k, 0.f);
    return;
  }
  const OpSize size(flops(s));
  if (conv2d_one_channel_applies(s)) return conv2d_one_channel_backward_weight(s, x, dy, dw, db);
  if (db) bias_grad(s, dy, db);
  const Conv cv(s);
  // One position range per thread slot, each summing into its own dWr^T, then a reduction in slot
  // order: the result depends on the thread count (and the op's size) only, never on timing. An op
  // too small for the pool gets one slot: its partial sums would cost more to add than to compute.
  const int64_t slots = flops(s) < kMinParallelFlops ? 1 : num_threads(), PK = cv.P * cv.K;
  float* partial = grow(call_buffers.packed, slots * PK);
  for_slots(cv, slots, [&](int64_t slot, int64_t first, int64_t last) {
    weight_grad_positions(cv, x, dy, partial + slot * PK, first, last);
  });
  if (slots > 1) {
    parallel_for(
        PK,
        [&](int64_t i0, int64_t i1) {
          for (int64_t slot = 1; slot < slots; ++slot)
            for (int64_t i = i0; i < i1; ++i) partial[i] += partial[slot * PK + i];
        },
        4096);
  }
  // dWr^T [P][k] -> Wr's layout [k][kh][kw][c] -> w's [k][c][kh][kw], two cache-friendly transposes.
  float* wr = grow(call_buffers.reordered, PK);
  const int64_t taps = int64_t{s.kh} * s.kw;
  parallel_for(cv.K, [&](int64_t k0, int64_t k1) {
    transpose(partial + k0, cv.P, k1 - k0, cv.K, wr + k0 * cv.P, cv.P);
    for (int64_t k = k0; k < k1; ++k) transpose(wr + k * cv.P, taps, cv.c, cv.c, dw + k * cv.P, taps);
  });
}

}  // namespace wsr::cpu
