// The implicit-GEMM engine's kernels (descriptors: cuda/implicit_gemm.cuh) and its planner.
//
// Structure (bench/results/notes.md estimates what it reaches on an H100/H200):
//   - 256 threads in a 16 × 16 grid compute a 128 × 128 tile (8 × 8 outputs each) or a 64 × 64 tile
//     (4 × 4); the reduction advances 8 steps at a time through two shared-memory buffers;
//   - while the block multiplies from one buffer, each thread already holds the next 8 steps' elements in
//     registers (loaded from global memory before the multiply), stored to the other buffer after it: one
//     barrier per 8 steps;
//   - a thread's outputs come in runs of 4 rows and (in shared memory) of 4 columns, so its operands are
//     float4 loads; its columns in C are tx + 16·j, so a warp's stores cover 16 consecutive columns;
//   - a thread's reduction index advances by carrying digits (Cursor), never by dividing; divisions happen
//     once per tile (where its rows and columns start).
// Indices inside one item are 32-bit (launchers check the extents with require_int32); an item's base
// pointers move in 64-bit.
#include "cuda/prelude.cuh"

#include "cuda/implicit_gemm.cuh"

#include <limits>

namespace wsr::cuda {
namespace {

EngineOverride& override_state() {
  static EngineOverride o;
  return o;
}

// The model's figures, estimates for a Hopper SM (bench/results/notes.md derives them): the fraction of the
// SM's FP32 FMA rate a tile sustains (its shared-memory loads and index arithmetic take issue slots) and the
// blocks of it one SM holds (registers: 128 per thread for the 128 tile, at most 80 for the 64 tile).
struct TileModel {
  int tile;
  double efficiency;
  int resident;
};
constexpr TileModel kTiles[] = {{128, 0.80, 2}, {64, 0.55, 3}};
constexpr double kFmaPerCycle = 128;          // FP32 FMAs per SM per cycle
constexpr double kTileOverheadCycles = 1500;  // a tile's first loads (memory latency) and its stores
constexpr double kLaunchCycles = 4000;        // a dependent launch (the split sum, a layout pass): about 2 µs
constexpr double kBytesPerCycle = 1800;       // device memory: about 3.3 TB/s at 1.8 GHz
constexpr int64_t kStep = 8;                  // the engine's reduction step
constexpr int64_t kMinSliceSteps = 4;         // a slice of a split reduction spans at least this many steps
constexpr int kMaxSplits = 64;

// Estimated cycles of the busiest SM, plus the summing pass when the reduction is split.
double estimate_cycles(const TileModel& t, int64_t m, int64_t n, int64_t r, int64_t items, int64_t splits, int sms) {
  const int64_t blocks = ceil_div(m, t.tile) * ceil_div(n, t.tile) * items * splits;
  const int64_t slice = ceil_div(ceil_div(r, kStep), splits);
  const int64_t sharing = std::min<int64_t>(t.resident, ceil_div(blocks, sms));  // blocks on one SM at once
  const int64_t waves = ceil_div(blocks, sms * sharing);
  const double block_cycles =
      double(t.tile) * t.tile * kStep * slice * sharing / (kFmaPerCycle * t.efficiency) + kTileOverheadCycles;
  double cycles = waves * block_cycles;
  if (splits > 1) cycles += streaming_cycles(int64_t{2 * splits + 1} * m * n * items * 4);
  return cycles;
}

}  // namespace

double streaming_cycles(int64_t bytes) { return kLaunchCycles + double(bytes) / kBytesPerCycle; }

void set_engine_override(const EngineOverride& o) { override_state() = o; }
EngineOverride engine_override() { return override_state(); }

GemmPlan plan_gemm(int64_t m, int64_t n, int64_t r, int64_t items, int largest_tile) {
  const EngineOverride o = override_state();
  if (m <= 0 || n <= 0 || items <= 0) return GemmPlan{};  // nothing to run
  const int64_t steps = std::max<int64_t>(ceil_div(r, kStep), 1);
  const int sms = multiprocessor_count();
  GemmPlan best;
  double best_cycles = std::numeric_limits<double>::infinity();
  for (const TileModel& t : kTiles) {
    if ((o.tile != 0 && o.tile != t.tile) || (o.tile == 0 && t.tile > largest_tile)) continue;
    const int64_t most = std::min<int64_t>(std::max(kMaxSplits, o.splits), steps);
    for (int64_t asked = 1; asked <= most; ++asked) {
      // Slices of equal steps, none empty: 10 steps asked in 6 slices run as 5 slices of 2.
      const int64_t splits = ceil_div(steps, ceil_div(steps, asked));
      if (o.splits != 0) {
        if (asked != std::min<int64_t>(o.splits, steps)) continue;
      } else if (splits != asked) {
        continue;  // the same as a smaller count
      } else if (splits > 1 && ceil_div(steps, splits) < kMinSliceSteps) {
        break;
      }
      const double cycles = estimate_cycles(t, m, n, r, items, splits, sms);
      if (cycles < best_cycles) {
        best_cycles = cycles;
        best = GemmPlan{t.tile, static_cast<int>(splits), cycles};
      }
    }
  }
  return best;
}

}  // namespace wsr::cuda

namespace wsr::cuda::igemm {

// ---- Index arithmetic without division ------------------------------------------------------------

// Where index i of an axis lands (divides: once per tile, never in the reduction loop).
struct Place {
  int off, y, x;
};
__host__ __device__ inline Place place(const Axis& a, int i) {
  const int d2 = i % a.r2, q = i / a.r2, d1 = q % a.r1, d0 = q / a.r1;
  return {d0 * a.s0 + d1 * a.s1 + d2 * a.s2, d1 * a.cy, d2 * a.cx};
}

// An index moving along an axis: i, its inner digits and its offset.
struct Cursor {
  int i, d1, d2, off;
};
__device__ __forceinline__ Cursor cursor_at(const Axis& a, int i) {
  const int d2 = i % a.r2, q = i / a.r2, d1 = q % a.r1, d0 = q / a.r1;
  return {i, d1, d2, d0 * a.s0 + d1 * a.s1 + d2 * a.s2};
}
__device__ __forceinline__ void advance(Cursor& c, const Axis& a, const Step& s) {
  c.i += s.count;
  c.off += s.off;
  c.d2 += s.e2;
  c.d1 += s.e1;
  if (c.d2 >= a.r2) {
    c.d2 -= a.r2;
    c.d1 += 1;
    c.off += s.carry2;
  }
  if (c.d1 >= a.r1) {
    c.d1 -= a.r1;
    c.off += s.carry1;
  }
}

__device__ __forceinline__ bool inside(int v, int size) { return static_cast<unsigned>(v) < static_cast<unsigned>(size); }

// ---- Tiles ------------------------------------------------------------------------------------------

constexpr int kBlockThreads = kSide * kSide;  // tx = t % 16, ty = t / 16

template <int Size>
struct Tile {
  static constexpr int kSize = Size;                           // rows and columns of C per block
  static constexpr int kPer = Size / kSide;                    // outputs per thread along each side (8 or 4)
  static constexpr int kPitch = Size + 4;                      // shared row: 16-byte aligned; spreads transposed stores
  static constexpr int kLoads = Size * kStep / kBlockThreads;  // elements of each operand a thread loads per stage
  static_assert(kPer % 4 == 0 && kLoads >= 1, "float4 runs of outputs; whole loads");
};

// Row of C (within the tile) of a thread's output i: runs of 4 rows, 64 rows apart.
__device__ __forceinline__ int tile_row(int ty, int i) { return (i / 4) * 64 + ty * 4 + i % 4; }
// Where column c (within the tile) is kept in shared memory: thread tx's columns tx + 16·j sit at
// (j / 4)·64 + tx·4 + j % 4, so each run of 4 is one float4.
__device__ __forceinline__ int shared_column(int c) {
  const int j = c / kSide, tx = c % kSide;
  return (j / 4) * 64 + tx * 4 + j % 4;
}

// Stages one operand's slab (Size free indices × 8 reduction steps) into shared memory. kColumns: the
// operand is B, its free index a column of C, kept in shared_column order. A free index past the matrix is
// read at the last one instead: it only feeds outputs that are never stored.
template <class T, bool kAlongR, bool kColumns, Window kWindow>
struct Loader;

// kAlongR: thread t loads step t % 8 of free slots u = t / 8 + 32·l.
template <class T, bool kColumns, Window kWindow>
struct Loader<T, true, kColumns, kWindow> {
  static constexpr int kW = kWindow == igemm::kWindow ? T::kLoads : 1;  // window coordinates kept per slot
  const float* base;
  int off[T::kLoads], y[kW], x[kW];
  Cursor cur;

  __device__ __forceinline__ static int slot_column(int u) {  // B: a warp's 4 slots are columns 16 apart (banks)
    constexpr int runs = T::kSize / kSide;
    return kColumns ? (u % runs) * kSide + u / runs : u;
  }
  __device__ __forceinline__ void init(const Operand& op, int64_t shift, int dy, int dx, int f0, int f_count,
                                       int r_begin) {
    const int t = threadIdx.x;
    base = op.base + shift;
#pragma unroll
    for (int l = 0; l < T::kLoads; ++l) {
      const Place p = place(op.free, min(f0 + slot_column(t / kStep + 32 * l), f_count - 1));
      off[l] = op.off0 + p.off;
      if (kW > 1) y[l] = op.y0 + dy + p.y, x[l] = op.x0 + dx + p.x;
    }
    if (kW == 1) y[0] = op.y0 + dy, x[0] = op.x0 + dx;
    cur = cursor_at(op.red, r_begin + t % kStep);
  }
  __device__ __forceinline__ void load(const Operand& op, int r_end, float (&v)[T::kLoads]) {
    const int ry = cur.d1 * op.red.cy, rx = cur.d2 * op.red.cx;
    const bool in_slice = cur.i < r_end && (kWindow != kFixedWindow || (inside(y[0] + ry, op.h) && inside(x[0] + rx, op.w)));
#pragma unroll
    for (int l = 0; l < T::kLoads; ++l) {
      const int s = l < kW ? l : 0;
      const bool in_window = kWindow != igemm::kWindow || (inside(y[s] + ry, op.h) && inside(x[s] + rx, op.w));
      v[l] = in_slice && in_window ? base[off[l] + cur.off] : 0.f;
    }
    advance(cur, op.red, op.step);
  }
  __device__ __forceinline__ void store(float (*s)[T::kPitch], const float (&v)[T::kLoads]) const {
    const int t = threadIdx.x;
#pragma unroll
    for (int l = 0; l < T::kLoads; ++l) {
      const int c = slot_column(t / kStep + 32 * l);
      s[t % kStep][kColumns ? shared_column(c) : c] = v[l];
    }
  }
};

// Along the free index: thread t loads free slot t % Size at its kLoads consecutive steps from
// (t / Size)·kLoads.
template <class T, bool kColumns, Window kWindow>
struct Loader<T, false, kColumns, kWindow> {
  const float* base;
  int off, y, x;
  Cursor cur;  // the thread's first step of the stage

  __device__ __forceinline__ void init(const Operand& op, int64_t shift, int dy, int dx, int f0, int f_count,
                                       int r_begin) {
    const int t = threadIdx.x;
    base = op.base + shift;
    const Place p = place(op.free, min(f0 + t % T::kSize, f_count - 1));
    off = op.off0 + p.off;
    y = op.y0 + dy + p.y;
    x = op.x0 + dx + p.x;
    cur = cursor_at(op.red, r_begin + (t / T::kSize) * T::kLoads);
  }
  __device__ __forceinline__ void load(const Operand& op, int r_end, float (&v)[T::kLoads]) {
    Cursor c = cur;
#pragma unroll
    for (int l = 0; l < T::kLoads; ++l) {
      const bool in_window = kWindow == kPlain || (inside(y + c.d1 * op.red.cy, op.h) && inside(x + c.d2 * op.red.cx, op.w));
      v[l] = c.i < r_end && in_window ? base[off + c.off] : 0.f;
      if (l + 1 < T::kLoads) advance(c, op.red, op.unit);
    }
    advance(cur, op.red, op.step);
  }
  __device__ __forceinline__ void store(float (*s)[T::kPitch], const float (&v)[T::kLoads]) const {
    const int t = threadIdx.x, c = t % T::kSize;
#pragma unroll
    for (int l = 0; l < T::kLoads; ++l) s[(t / T::kSize) * T::kLoads + l][kColumns ? shared_column(c) : c] = v[l];
  }
};

// C[m, n] = v (+ bias) at the column offset the caller walked to.
__device__ __forceinline__ void put(const Output& c, float* base, const float* bias, int m, int n, int n_off, float v) {
  if (bias) v += bias[m * c.bias_sm + n * c.bias_sn];
  base[c.off0 + m * c.sm + n_off] = v;
}

// The slice of a reduction of length r that split `split` of `splits` covers: whole stages, equal counts.
struct Slice {
  int begin, end;
};
__device__ __forceinline__ Slice slice_of(int r, int split, int splits) {
  const int per = static_cast<int>(ceil_div(ceil_div(r, kStep), splits)) * kStep;
  const int begin = min(r, split * per);
  return {begin, min(r, begin + per)};
}

// One tile (tm, tn) of item product g (at shift sh) over its reduction slice; into `partial` ([m, n] raw
// sums) when the reduction is split, else through g.c. Every thread of the block calls it (it synchronises).
template <class T, class L>
__device__ __forceinline__ void gemm_tile(const Gemm& g, const Shift& sh, int tm, int tn, Slice sl, float* partial,
                                          float (*as)[kStep][T::kPitch], float (*bs)[kStep][T::kPitch]) {
  const int tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
  const int m0 = tm * T::kSize, n0 = tn * T::kSize;
  Loader<T, L::kAAlongR, false, L::kAWindow> la;
  Loader<T, L::kBAlongR, true, L::kBWindow> lb;
  la.init(g.a, sh.a, sh.ay, sh.ax, m0, g.m, sl.begin);
  lb.init(g.b, sh.b, sh.by, sh.bx, n0, g.n, sl.begin);
  float va[T::kLoads], vb[T::kLoads];
  float acc[T::kPer][T::kPer];
#pragma unroll
  for (int i = 0; i < T::kPer; ++i)
#pragma unroll
    for (int j = 0; j < T::kPer; ++j) acc[i][j] = 0.f;

  const int stages = sl.end > sl.begin ? static_cast<int>(ceil_div(sl.end - sl.begin, kStep)) : 0;
  if (stages > 0) {
    la.load(g.a, sl.end, va);
    lb.load(g.b, sl.end, vb);
    la.store(as[0], va);
    lb.store(bs[0], vb);
  }
  __syncthreads();
  for (int stage = 0; stage < stages; ++stage) {
    const int cur = stage & 1;
    const bool more = stage + 1 < stages;
    if (more) {  // the next stage's elements, in flight while this one is multiplied
      la.load(g.a, sl.end, va);
      lb.load(g.b, sl.end, vb);
    }
#pragma unroll
    for (int k = 0; k < kStep; ++k) {
      float a[T::kPer], b[T::kPer];
#pragma unroll
      for (int q = 0; q < T::kPer / 4; ++q) {
        const float4 av = *reinterpret_cast<const float4*>(&as[cur][k][q * 64 + ty * 4]);
        const float4 bv = *reinterpret_cast<const float4*>(&bs[cur][k][q * 64 + tx * 4]);
        a[4 * q] = av.x, a[4 * q + 1] = av.y, a[4 * q + 2] = av.z, a[4 * q + 3] = av.w;
        b[4 * q] = bv.x, b[4 * q + 1] = bv.y, b[4 * q + 2] = bv.z, b[4 * q + 3] = bv.w;
      }
#pragma unroll
      for (int i = 0; i < T::kPer; ++i)
#pragma unroll
        for (int j = 0; j < T::kPer; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    if (more) {
      la.store(as[cur ^ 1], va);
      lb.store(bs[cur ^ 1], vb);
    }
    __syncthreads();  // the buffer just read is written in the next stage
  }

  float* out = partial ? partial : g.c.base + sh.c;
  const float* bias = partial || !g.c.bias ? nullptr : g.c.bias + sh.bias;
  Cursor col = cursor_at(g.c.n, n0 + tx);  // column tx + 16·j, walked by carries
#pragma unroll
  for (int j = 0; j < T::kPer; ++j) {
    const int n = n0 + tx + kSide * j;
    if (n < g.n) {
#pragma unroll
      for (int i = 0; i < T::kPer; ++i) {
        const int m = m0 + tile_row(ty, i);
        if (m >= g.m) continue;
        if (partial)
          partial[m * g.n + n] = acc[i][j];
        else
          put(g.c, out, bias, m, n, col.off, acc[i][j]);
      }
    }
    advance(col, g.c.n, g.c.col_step);
  }
}

// Grid: x over column tiles, y over row tiles (of the largest item), z over (item, split); each loops when
// the problem is larger than the grid. Loop bounds are uniform over the block, as the barriers require.
template <class T, class L, class Problem>
__global__ void __launch_bounds__(kBlockThreads, T::kSize == 128 ? 2 : 3)
    implicit_gemm_kernel(const Problem p, int splits, float* partials, int64_t partial_stride) {
  __shared__ __align__(16) float as[2][kStep][T::kPitch];
  __shared__ __align__(16) float bs[2][kStep][T::kPitch];
  const int64_t zs = int64_t{p.items} * splits;
  for (int64_t z = blockIdx.z; z < zs; z += gridDim.z) {
    const int item = static_cast<int>(z / splits), split = static_cast<int>(z - int64_t{item} * splits);
    Gemm scratch;
    const Gemm& g = p.gemm(item, scratch);
    const Shift sh = p.shift(item);
    const Slice sl = slice_of(g.r, split, splits);
    float* partial = splits > 1 ? partials + z * partial_stride : nullptr;
    const int tiles_m = static_cast<int>(ceil_div(g.m, T::kSize)), tiles_n = static_cast<int>(ceil_div(g.n, T::kSize));
    for (int tm = blockIdx.y; tm < tiles_m; tm += gridDim.y)
      for (int tn = blockIdx.x; tn < tiles_n; tn += gridDim.x) gemm_tile<T, L>(g, sh, tm, tn, sl, partial, as, bs);
  }
}

// C = Σ over the splits of the partial sums, in split order, then through g.c. Grid: x over elements
// (grid-stride), y over items.
template <class Problem>
__global__ void split_sum_kernel(const Problem p, int splits, const float* partials, int64_t partial_stride) {
  for (int item = blockIdx.y; item < p.items; item += gridDim.y) {
    Gemm scratch;
    const Gemm& g = p.gemm(item, scratch);
    const Shift sh = p.shift(item);
    float* out = g.c.base + sh.c;
    const float* bias = g.c.bias ? g.c.bias + sh.bias : nullptr;
    const int64_t count = int64_t{g.m} * g.n;
    const float* part = partials + int64_t{item} * splits * partial_stride;
    for (int64_t e = grid_start(); e < count; e += grid_step()) {
      float sum = 0.f;
      for (int s = 0; s < splits; ++s) sum += part[s * partial_stride + e];
      const int m = static_cast<int>(e / g.n), n = static_cast<int>(e - int64_t{m} * g.n);
      put(g.c, out, bias, m, n, place(g.c.n, n).off, sum);
    }
  }
}

// ---- Launch -----------------------------------------------------------------------------------------

template <class L, class Problem>
void run(const Problem& p, int64_t max_m, int64_t max_n, const GemmPlan& plan, float* partials, const char* what) {
  if (p.items <= 0 || max_m <= 0 || max_n <= 0) return;
  require_int32(max_m * max_n, what);
  const int splits = std::max(plan.splits, 1);
  const int64_t stride = max_m * max_n;
  const auto launch = [&](auto tile) {
    using T = decltype(tile);
    const dim3 grid(grid_dim(ceil_div(max_n, T::kSize), kMaxGridX), grid_dim(ceil_div(max_m, T::kSize), kMaxGridYZ),
                    grid_dim(int64_t{p.items} * splits, kMaxGridYZ));
    implicit_gemm_kernel<T, L, Problem><<<grid, kBlockThreads>>>(p, splits, partials, stride);
  };
  if constexpr (Problem::kLargestTile == 64)
    launch(Tile<64>{});
  else if (plan.tile == 64)
    launch(Tile<64>{});
  else
    launch(Tile<128>{});
  check_launch((std::string(what) + "/implicit_gemm").c_str());
  if (splits > 1) {
    const dim3 grid(blocks_for(stride), grid_dim(p.items, kMaxGridYZ));
    split_sum_kernel<Problem><<<grid, kThreads>>>(p, splits, partials, stride);
    check_launch((std::string(what) + "/split_sum").c_str());
  }
}

// The products the launchers run; run<> is defined here only, so each one compiles once.
template void run<Layout<true, false, kPlain, kWindow>, Batch>(const Batch&, int64_t, int64_t, const GemmPlan&, float*,
                                                                const char*);  // conv forward, weight gradient
template void run<Layout<true, false, kPlain, kWindow>, DgradPhases>(const DgradPhases&, int64_t, int64_t,
                                                                      const GemmPlan&, float*, const char*);
template void run<Layout<false, false, kPlain, kPlain>, Batch>(const Batch&, int64_t, int64_t, const GemmPlan&, float*,
                                                               const char*);  // conv patch gradients, dense dw
template void run<Layout<true, true, kFixedWindow, kPlain>, Batch>(const Batch&, int64_t, int64_t, const GemmPlan&,
                                                                    float*, const char*);  // LC forward
template void run<Layout<true, false, kPlain, kPlain>, Batch>(const Batch&, int64_t, int64_t, const GemmPlan&, float*,
                                                              const char*);  // LC patch gradients, dense dx
template void run<Layout<false, false, kPlain, kWindow>, Batch>(const Batch&, int64_t, int64_t, const GemmPlan&, float*,
                                                                const char*);  // LC weight gradient
template void run<Layout<true, true, kPlain, kPlain>, Batch>(const Batch&, int64_t, int64_t, const GemmPlan&, float*,
                                                             const char*);  // dense forward

}  // namespace wsr::cuda::igemm
