// Single-precision GEMM: packed panels + register-blocked FMA microkernels (BLIS-style loop nest).
//
// Layout of the computation (after an optional swap C^T = op(B)^T op(A)^T, see choose_orientation):
//   for ic in M step MC                      A block  [MC x KC]  packed into MR-row micro-panels (L3/DRAM)
//     for pc in K step KC
//       pack A block
//       for jc in N step NC                  B block  [KC x NC]  packed into NR-column micro-panels (L2)
//         pack B block
//         for ir in MC step MR               A micro-panel [MR x KC] stays in L1 ...
//           for jr in NC step NR             ... while the B micro-panels stream from L2
//             C[ir.., jr..] (+)= microkernel(A micro-panel, B micro-panel)
// Micro-panel layouts: A: a[k*MR + r] (r < MR rows, padded rows unused); B: b[k*NR + j] (padded columns
// zero). The microkernel is templated on the number of live rows (1..MR), so M edges cost no wasted
// FMAs; N edges are handled by masked / scalar stores of the last NR-wide tile.
//
// Kernels: AVX-512 (14 x 32, 28 zmm accumulators), AVX2+FMA (6 x 16, 12 ymm accumulators) and a
// portable C++ one (6 x 8), chosen once at run time. Only the functions that use the wide instructions
// carry a target attribute, so the file builds with plain -O3 and runs on any x86-64 (and non-x86).
#include "gemm.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>
#include <utility>

#include "parallel.h"

// -DWSR_GEMM_PORTABLE builds only the portable kernel (to test the non-x86 build on x86).
#if (defined(__x86_64__) || defined(_M_X64)) && !defined(WSR_GEMM_PORTABLE)
#if defined(__GNUC__) && !defined(__clang__)
// GCC 12 reports its own _mm512_undefined_ps() (used inside the shuffle intrinsics) as uninitialised.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include "avx512_transpose.h"
#define WSR_GEMM_X86 1
#else
#define WSR_GEMM_X86 0
#endif

#if defined(__GNUC__)
#define WSR_UNROLL(n) _Pragma("GCC unroll 16")
#else
#define WSR_UNROLL(n)
#endif

namespace wsr::cpu {
namespace {

constexpr int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
constexpr int64_t ceil_div(int64_t x, int64_t m) { return (x + m - 1) / m; }

// ---------------------------------------------------------------------------------------------------
// Scratch memory: one growing 64-byte-aligned buffer per thread and per use.
// ---------------------------------------------------------------------------------------------------
struct AlignedBuffer {
  float* ptr = nullptr;
  size_t capacity = 0;  // floats
  ~AlignedBuffer() { std::free(ptr); }
  float* get(size_t floats) {
    if (floats > capacity) {
      std::free(ptr);
      ptr = nullptr;
      capacity = 0;
      const size_t bytes = round_up(static_cast<int64_t>(std::max<size_t>(floats, 16) * sizeof(float)), 64);
      ptr = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!ptr) throw std::bad_alloc();
      capacity = bytes / sizeof(float);
    }
    return ptr;
  }
};

float* block_workspace(size_t floats) {  // packed A and B blocks of the running thread
  thread_local AlignedBuffer buffer;
  return buffer.get(floats);
}

float* shared_workspace(size_t floats) {  // a whole pre-packed shared operand (owned by the calling thread)
  thread_local AlignedBuffer buffer;
  return buffer.get(floats);
}

// ---------------------------------------------------------------------------------------------------
// Packing. X is a logical matrix view X[i, k] = p[i*rs + k*cs]. pack_panels writes rows [0, m) and
// depth [0, kc) as panels of R rows: dst[q*R*kc + k*R + r] = X[q*R + r, k]; rows past m are zero.
// For A this is called on op(A) (R = MR); for B on op(B)^T (R = NR), so one routine serves both.
// ---------------------------------------------------------------------------------------------------
template <int R>
void pack_panels(const float* p, int64_t rs, int64_t cs, int64_t m, int64_t kc, float* dst) {
  for (int64_t i0 = 0; i0 < m; i0 += R, dst += R * kc) {
    const int rows = static_cast<int>(std::min<int64_t>(R, m - i0));
    const float* src = p + i0 * rs;
    if (rs == 1) {
      // Each depth step k is a contiguous run of rows: plain copies.
      for (int64_t k = 0; k < kc; ++k) {
        const float* s = src + k * cs;
        float* d = dst + k * R;
        for (int r = 0; r < rows; ++r) d[r] = s[r];
        for (int r = rows; r < R; ++r) d[r] = 0.0f;
      }
    } else if (rows == R) {
      // Full panel, rows strided: walk the R rows side by side, 4 depth steps at a time.
      const float* s[R];
      for (int r = 0; r < R; ++r) s[r] = src + r * rs;
      int64_t k = 0;
      if (cs == 1) {
        for (; k + 4 <= kc; k += 4) {
          float* d = dst + k * R;
          for (int r = 0; r < R; ++r) {
            const float* sr = s[r] + k;
            d[r] = sr[0];
            d[R + r] = sr[1];
            d[2 * R + r] = sr[2];
            d[3 * R + r] = sr[3];
          }
        }
      }
      for (; k < kc; ++k) {
        float* d = dst + k * R;
        for (int r = 0; r < R; ++r) d[r] = s[r][k * cs];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        float* d = dst + k * R;
        for (int r = 0; r < rows; ++r) d[r] = src[r * rs + k * cs];
        for (int r = rows; r < R; ++r) d[r] = 0.0f;
      }
    }
  }
}

// Micro-panel packers for operands gathered by the caller (see gemm.h): from R row pointers, and from one
// pointer per depth step to `count` contiguous rows.
template <int R>
void pack_rows(const float* const* rows, int count, int64_t offset, int64_t len, float* dst) {
  for (int r = 0; r < count; ++r) {
    const float* src = rows[r] + offset;
    for (int64_t k = 0; k < len; ++k) dst[k * R + r] = src[k];
  }
}
template <int R>
void pack_runs(const float* const* runs, int64_t offset, int64_t len, int r0, int count, float* dst) {
  for (int64_t k = 0; k < len; ++k) {
    const float* src = runs[k] + offset;
    float* d = dst + k * R + r0;
    for (int r = 0; r < count; ++r) d[r] = src[r];
  }
}

#if WSR_GEMM_X86
// Packs with k contiguous (cs == 1) and R rows strided by rs, via 16x16 register transposes.
template <int R>
__attribute__((target("avx512f"))) void pack_panels_avx512(const float* p, int64_t rs, int64_t cs, int64_t m,
                                                            int64_t kc, float* dst) {
  if (cs != 1 || rs == 1) return pack_panels<R>(p, rs, cs, m, kc, dst);
  for (int64_t i0 = 0; i0 < m; i0 += R, dst += R * kc) {
    const int rows = static_cast<int>(std::min<int64_t>(R, m - i0));
    const float* src = p + i0 * rs;
    int64_t k = 0;
    for (; k + 16 <= kc; k += 16) {
      for (int r0 = 0; r0 < R; r0 += 16) {
        const int live = std::max(0, std::min(16, rows - r0));  // rows of this 16-row group that exist
        __m512 v[16];
        for (int r = 0; r < 16; ++r)
          v[r] = r < live ? _mm512_loadu_ps(src + (r0 + r) * rs + k) : _mm512_setzero_ps();
        transpose16x16(v);
        // v[j] = column k+j of rows r0..r0+15; store the first min(16, R - r0) of them.
        const int width = std::min(16, R - r0);
        const __mmask16 mask = static_cast<__mmask16>((1u << width) - 1u);
        for (int j = 0; j < 16; ++j) _mm512_mask_storeu_ps(dst + (k + j) * R + r0, mask, v[j]);
      }
    }
    for (; k < kc; ++k) {
      float* d = dst + k * R;
      for (int r = 0; r < rows; ++r) d[r] = src[r * rs + k];
      for (int r = rows; r < R; ++r) d[r] = 0.0f;
    }
  }
}

// pack_rows with 16x16 register transposes; the depth tail is read with masked loads (no overrun).
template <int R>
__attribute__((target("avx512f"))) void pack_rows_avx512(const float* const* rows, int count, int64_t offset,
                                                          int64_t len, float* dst) {
  static_assert(R <= 16, "one 16-row group per panel");
  const __mmask16 lanes = static_cast<__mmask16>((1u << R) - 1u);
  for (int64_t k = 0; k < len; k += 16) {
    const int depth = static_cast<int>(std::min<int64_t>(16, len - k));
    const __mmask16 mask = static_cast<__mmask16>((1u << depth) - 1u);
    __m512 v[16];
    for (int r = 0; r < 16; ++r) v[r] = r < count ? _mm512_maskz_loadu_ps(mask, rows[r] + offset + k) : _mm512_setzero_ps();
    transpose16x16(v);
    for (int j = 0; j < depth; ++j) _mm512_mask_storeu_ps(dst + (k + j) * R, lanes, v[j]);
  }
}
template <int R>
__attribute__((target("avx512f"))) void pack_runs_avx512(const float* const* runs, int64_t offset, int64_t len,
                                                          int r0, int count, float* dst) {
  const __mmask16 mask = static_cast<__mmask16>((1u << count) - 1u);
  for (int64_t k = 0; k < len; ++k)
    _mm512_mask_storeu_ps(dst + k * R + r0, mask, _mm512_maskz_loadu_ps(mask, runs[k] + offset));
}
#endif

// ---------------------------------------------------------------------------------------------------
// Writing a finished tile: C[r, j] = alpha * acc[r, j] + beta * C[r, j] (C not read when beta == 0).
// tile is row-major [rows x ld]. Used for edge tiles and for C views that are not row-contiguous.
// ---------------------------------------------------------------------------------------------------
inline void store_tile(const float* tile, int ld, int rows, int cols, float* c, int64_t rs_c, int64_t cs_c,
                       float alpha, float beta) {
  if (cs_c == 1) {
    for (int r = 0; r < rows; ++r) {
      float* cr = c + r * rs_c;
      const float* t = tile + r * ld;
      if (beta == 0.0f)
        for (int j = 0; j < cols; ++j) cr[j] = alpha * t[j];
      else
        for (int j = 0; j < cols; ++j) cr[j] = alpha * t[j] + beta * cr[j];
    }
  } else {
    // Typically rs_c == 1 (the swapped orientation): walk C contiguously.
    for (int j = 0; j < cols; ++j) {
      float* cj = c + j * cs_c;
      if (beta == 0.0f)
        for (int r = 0; r < rows; ++r) cj[r * rs_c] = alpha * tile[r * ld + j];
      else
        for (int r = 0; r < rows; ++r) cj[r * rs_c] = alpha * tile[r * ld + j] + beta * cj[r * rs_c];
    }
  }
}

// Microkernel signature: C tile [ROWS x nr] (+)= alpha * A micro-panel · B micro-panel.
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t rs_c, int64_t cs_c,
                             int nr, float alpha, float beta);

// ---------------------------------------------------------------------------------------------------
// Portable kernel: 6 x 8. With GCC/Clang it is written with generic 4-wide vectors (SSE2 on x86-64,
// NEON on ARM: 12 accumulators + 3 temporaries fit the 16 registers of either); plain loops otherwise.
// ---------------------------------------------------------------------------------------------------
#if defined(__GNUC__)
typedef float v4f __attribute__((vector_size(16)));
inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
#endif

struct GenericKernel {
  static constexpr int MR = 6, NR = 8;
  static constexpr int64_t MC = 6 * 96, KC = 256, NC = 256;
  static const char* name() { return "generic"; }

  template <int ROWS>
  static void kernel(int64_t kc, const float* a, const float* b, float* c, int64_t rs_c, int64_t cs_c, int nr,
                     float alpha, float beta) {
    alignas(16) float tile[ROWS][NR];
#if defined(__GNUC__)
    v4f acc0[ROWS], acc1[ROWS];
    WSR_UNROLL(6)
    for (int r = 0; r < ROWS; ++r) acc0[r] = acc1[r] = v4f{0.0f, 0.0f, 0.0f, 0.0f};
    for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
      const v4f b0 = load4(b), b1 = load4(b + 4);
      WSR_UNROLL(6)
      for (int r = 0; r < ROWS; ++r) {
        const v4f av = v4f{0.0f, 0.0f, 0.0f, 0.0f} + a[r];  // broadcast
        acc0[r] += av * b0;
        acc1[r] += av * b1;
      }
    }
    WSR_UNROLL(6)
    for (int r = 0; r < ROWS; ++r) {
      std::memcpy(tile[r], &acc0[r], sizeof(v4f));
      std::memcpy(tile[r] + 4, &acc1[r], sizeof(v4f));
    }
#else
    for (int r = 0; r < ROWS; ++r)
      for (int j = 0; j < NR; ++j) tile[r][j] = 0.0f;
    for (int64_t k = 0; k < kc; ++k, a += MR, b += NR)
      for (int r = 0; r < ROWS; ++r)
        for (int j = 0; j < NR; ++j) tile[r][j] += a[r] * b[j];
#endif
    store_tile(&tile[0][0], NR, ROWS, nr, c, rs_c, cs_c, alpha, beta);
  }
  static void pack_a(const float* p, int64_t rs, int64_t cs, int64_t m, int64_t kc, float* dst) {
    pack_panels<MR>(p, rs, cs, m, kc, dst);
  }
  static void pack_b(const float* p, int64_t rs, int64_t cs, int64_t n, int64_t kc, float* dst) {
    pack_panels<NR>(p, rs, cs, n, kc, dst);
  }
  static constexpr auto pack_rows = &wsr::cpu::pack_rows<MR>;
  static constexpr auto pack_runs = &wsr::cpu::pack_runs<MR>;
};

#if WSR_GEMM_X86
// ---------------------------------------------------------------------------------------------------
// AVX2 + FMA kernel: 6 x 16 (two ymm per row, 12 accumulators).
// ---------------------------------------------------------------------------------------------------
struct Avx2Kernel {
  static constexpr int MR = 6, NR = 16;
  static constexpr int64_t MC = 6 * 128, KC = 256, NC = 256;
  static const char* name() { return "avx2"; }

  template <int ROWS>
  __attribute__((target("avx2,fma"))) static void kernel(int64_t kc, const float* a, const float* b, float* c,
                                                         int64_t rs_c, int64_t cs_c, int nr, float alpha,
                                                         float beta) {
    __m256 acc0[ROWS], acc1[ROWS];
    WSR_UNROLL(6)
    for (int r = 0; r < ROWS; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
      const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
      WSR_UNROLL(6)
      for (int r = 0; r < ROWS; ++r) {
        const __m256 av = _mm256_broadcast_ss(a + r);
        acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
      }
    }
    const __m256 va = _mm256_set1_ps(alpha);
    if (cs_c == 1 && nr == NR) {
      const __m256 vb = _mm256_set1_ps(beta);
      WSR_UNROLL(6)
      for (int r = 0; r < ROWS; ++r) {
        float* cr = c + r * rs_c;
        __m256 v0 = _mm256_mul_ps(va, acc0[r]), v1 = _mm256_mul_ps(va, acc1[r]);
        if (beta != 0.0f) {
          v0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr), v0);
          v1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(cr + 8), v1);
        }
        _mm256_storeu_ps(cr, v0);
        _mm256_storeu_ps(cr + 8, v1);
      }
      return;
    }
    alignas(32) float tile[ROWS][NR];
    WSR_UNROLL(6)
    for (int r = 0; r < ROWS; ++r) {
      _mm256_store_ps(tile[r], acc0[r]);
      _mm256_store_ps(tile[r] + 8, acc1[r]);
    }
    store_tile(&tile[0][0], NR, ROWS, nr, c, rs_c, cs_c, alpha, beta);
  }
  static void pack_a(const float* p, int64_t rs, int64_t cs, int64_t m, int64_t kc, float* dst) {
    pack_panels<MR>(p, rs, cs, m, kc, dst);
  }
  static void pack_b(const float* p, int64_t rs, int64_t cs, int64_t n, int64_t kc, float* dst) {
    pack_panels<NR>(p, rs, cs, n, kc, dst);
  }
  static constexpr auto pack_rows = &wsr::cpu::pack_rows<MR>;
  static constexpr auto pack_runs = &wsr::cpu::pack_runs<MR>;
};

// ---------------------------------------------------------------------------------------------------
// AVX-512 kernel: 14 x 32 (two zmm per row, 28 accumulators + 2 B registers + broadcasts folded into
// the FMAs).
// ---------------------------------------------------------------------------------------------------
struct Avx512Kernel {
  static constexpr int MR = 14, NR = 32;
  static constexpr int64_t MC = 14 * 128, KC = 384, NC = 320;
  static const char* name() { return "avx512"; }

  template <int ROWS>
  __attribute__((target("avx512f"))) static void kernel(int64_t kc, const float* a, const float* b, float* c,
                                                        int64_t rs_c, int64_t cs_c, int nr, float alpha,
                                                        float beta) {
    __m512 acc0[ROWS], acc1[ROWS];
    WSR_UNROLL(14)
    for (int r = 0; r < ROWS; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
    for (int64_t k = 0; k < kc; ++k, a += MR, b += NR) {
      const __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
      _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(b + 8 * NR + 16), _MM_HINT_T0);
      WSR_UNROLL(14)
      for (int r = 0; r < ROWS; ++r) {
        const __m512 av = _mm512_set1_ps(a[r]);
        acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
        acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
      }
    }
    const __m512 va = _mm512_set1_ps(alpha);
    if (cs_c == 1) {
      // Row-contiguous C: masked loads/stores cover the N edge (masked-off lanes never fault).
      const __mmask16 m0 = nr >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << nr) - 1u);
      const __mmask16 m1 = nr >= 32 ? 0xFFFF : nr > 16 ? static_cast<__mmask16>((1u << (nr - 16)) - 1u) : 0;
      const __m512 vb = _mm512_set1_ps(beta);
      WSR_UNROLL(14)
      for (int r = 0; r < ROWS; ++r) {
        float* cr = c + r * rs_c;
        __m512 v0 = _mm512_mul_ps(va, acc0[r]), v1 = _mm512_mul_ps(va, acc1[r]);
        if (beta != 0.0f) {
          v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), v0);
          v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), v1);
        }
        _mm512_mask_storeu_ps(cr, m0, v0);
        _mm512_mask_storeu_ps(cr + 16, m1, v1);
      }
      return;
    }
    if (rs_c == 1) {
      // Swapped orientation: C rows are tile columns. Transpose 16x16 in registers and store each tile
      // column as a contiguous run of ROWS floats.
      const __mmask16 mrows = static_cast<__mmask16>((1u << ROWS) - 1u);
      const __m512 vb = _mm512_set1_ps(beta);
      for (int half = 0; half < 2; ++half) {
        const int cols = std::min(16, nr - 16 * half);
        if (cols <= 0) break;
        __m512 v[16];
        WSR_UNROLL(14)
        for (int r = 0; r < ROWS; ++r) v[r] = half ? acc1[r] : acc0[r];
        for (int r = ROWS; r < 16; ++r) v[r] = _mm512_setzero_ps();
        transpose16x16(v);
        for (int j = 0; j < cols; ++j) {
          float* cj = c + (16 * half + j) * cs_c;
          __m512 out = _mm512_mul_ps(va, v[j]);
          if (beta != 0.0f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mrows, cj), out);
          _mm512_mask_storeu_ps(cj, mrows, out);
        }
      }
      return;
    }
    alignas(64) float tile[ROWS][NR];
    WSR_UNROLL(14)
    for (int r = 0; r < ROWS; ++r) {
      _mm512_store_ps(tile[r], acc0[r]);
      _mm512_store_ps(tile[r] + 16, acc1[r]);
    }
    store_tile(&tile[0][0], NR, ROWS, nr, c, rs_c, cs_c, alpha, beta);
  }
  static void pack_a(const float* p, int64_t rs, int64_t cs, int64_t m, int64_t kc, float* dst) {
    pack_panels_avx512<MR>(p, rs, cs, m, kc, dst);
  }
  static void pack_b(const float* p, int64_t rs, int64_t cs, int64_t n, int64_t kc, float* dst) {
    pack_panels_avx512<NR>(p, rs, cs, n, kc, dst);
  }
  static constexpr auto pack_rows = &pack_rows_avx512<MR>;
  static constexpr auto pack_runs = &pack_runs_avx512<MR>;
};
#endif

// ---------------------------------------------------------------------------------------------------
// The problem as the drivers see it: C[M,N] (+)= A[M,K] · B[K,N] with every matrix a strided view.
// ---------------------------------------------------------------------------------------------------
struct View {
  const float* p;
  int64_t rs, cs, stride;  // X_i[r, c] = p[i*stride + r*rs + c*cs]
};
struct OutView {
  float* p;
  int64_t rs, cs, stride;
};
struct Problem {
  int64_t M, N, K;
  float alpha, beta;
  View A, B;
  OutView C;
};

// A pre-packed operand (the whole matrix, all depth blocks). For depth block pc (depth kc) and panel q:
// base + pc * padded + q * R * kc, where padded = round_up(rows, R). nullptr when not pre-packed.
struct Prepacked {
  const float* a = nullptr;
  const float* b = nullptr;
};

// Block sizes balanced so the last block is not a sliver (which would repack B for little work).
int64_t balanced(int64_t n, int64_t cap, int64_t unit) {
  const int64_t blocks = ceil_div(n, cap);
  return round_up(ceil_div(n, blocks), unit);
}

template <class Kern>
struct Driver {
  static constexpr int MR = Kern::MR, NR = Kern::NR;
  static constexpr int64_t MC = Kern::MC, KC = Kern::KC, NC = Kern::NC;

  template <int... I>
  static constexpr auto make_table(std::integer_sequence<int, I...>) {
    return std::array<MicroKernel, sizeof...(I)>{{&Kern::template kernel<I + 1>...}};
  }
  // kernels[rows - 1] handles a tile with `rows` live rows.
  static inline const std::array<MicroKernel, MR> kernels = make_table(std::make_integer_sequence<int, MR>{});


  // Computes rows [m0, m1) x columns [n0, n1) of product `item` (m0 multiple of MR, n0 of NR).
  static void compute(const Problem& P, int64_t item, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                      const Prepacked& pre) {
    const int64_t M = m1 - m0, N = n1 - n0, K = P.K;
    if (M <= 0 || N <= 0) return;
    const float* A = P.A.p + item * P.A.stride;
    const float* B = P.B.p + item * P.B.stride;
    float* C = P.C.p + item * P.C.stride;
    const int64_t mc_max = balanced(M, MC, MR), kc_max = balanced(K, KC, 1), nc_max = balanced(N, NC, NR);
    const int64_t a_floats = pre.a ? 0 : mc_max * kc_max, b_floats = pre.b ? 0 : nc_max * kc_max;
    float* work = block_workspace(static_cast<size_t>(a_floats + b_floats));
    float* a_work = work;
    float* b_work = work + a_floats;
    const int64_t m_padded = round_up(P.M, MR), n_padded = round_up(P.N, NR);

    for (int64_t ic = 0; ic < M; ic += mc_max) {
      const int64_t mc = std::min(mc_max, M - ic);
      for (int64_t pc = 0; pc < K; pc += kc_max) {
        const int64_t kc = std::min(kc_max, K - pc);
        const float beta = pc == 0 ? P.beta : 1.0f;
        const float* a_blk;
        if (pre.a) {
          a_blk = pre.a + pc * m_padded + (m0 + ic) * kc;
        } else {
          Kern::pack_a(A + (m0 + ic) * P.A.rs + pc * P.A.cs, P.A.rs, P.A.cs, mc, kc, a_work);
          a_blk = a_work;
        }
        for (int64_t jc = 0; jc < N; jc += nc_max) {
          const int64_t nc = std::min(nc_max, N - jc);
          const float* b_blk;
          if (pre.b) {
            b_blk = pre.b + pc * n_padded + (n0 + jc) * kc;
          } else {
            // Pack op(B)^T rows = columns of B.
            Kern::pack_b(B + pc * P.B.rs + (n0 + jc) * P.B.cs, P.B.cs, P.B.rs, nc, kc, b_work);
            b_blk = b_work;
          }
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int rows = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            const MicroKernel kernel = kernels[rows - 1];
            const float* a_panel = a_blk + ir * kc;
            float* c_row = C + (m0 + ic + ir) * P.C.rs;
            for (int64_t jr = 0; jr < nc; jr += NR) {
              const int cols = static_cast<int>(std::min<int64_t>(NR, nc - jr));
              kernel(kc, a_panel, b_blk + jr * kc, c_row + (n0 + jc + jr) * P.C.cs, P.C.rs, P.C.cs, cols,
                     P.alpha, beta);
            }
          }
        }
      }
    }
  }

  // C[M, N] = A·B + beta·C from ready micro-panels of depth kc (gemm_panels_product).
  static void panels_product(int64_t M, int64_t N, int64_t kc, const float* a, const float* b, float beta, float* C,
                             int64_t ldc) {
    for (int64_t ir = 0; ir < M; ir += MR) {
      const MicroKernel kernel = kernels[std::min<int64_t>(MR, M - ir) - 1];
      for (int64_t jr = 0; jr < N; jr += NR)
        kernel(kc, a + ir * kc, b + jr * kc, C + ir * ldc + jr, ldc, 1, static_cast<int>(std::min<int64_t>(NR, N - jr)),
               1.0f, beta);
    }
  }

  // Packs the whole A (item 0) / B (item 0) into the Prepacked layout, in parallel over panels.
  static void prepack_a(const Problem& P, float* dst, bool threaded) {
    const int64_t padded = round_up(P.M, MR), panels = padded / MR, kc_max = balanced(P.K, KC, 1);
    auto body = [&](int64_t q0, int64_t q1) {
      for (int64_t pc = 0; pc < P.K; pc += kc_max) {
        const int64_t kc = std::min(kc_max, P.K - pc);
        const int64_t r0 = q0 * MR, r1 = std::min(P.M, q1 * MR);
        Kern::pack_a(P.A.p + r0 * P.A.rs + pc * P.A.cs, P.A.rs, P.A.cs, r1 - r0, kc, dst + pc * padded + r0 * kc);
      }
    };
    if (threaded) parallel_for(panels, body, 4); else body(0, panels);
  }
  static void prepack_b(const Problem& P, float* dst, bool threaded) {
    const int64_t padded = round_up(P.N, NR), panels = padded / NR, kc_max = balanced(P.K, KC, 1);
    auto body = [&](int64_t q0, int64_t q1) {
      for (int64_t pc = 0; pc < P.K; pc += kc_max) {
        const int64_t kc = std::min(kc_max, P.K - pc);
        const int64_t c0 = q0 * NR, c1 = std::min(P.N, q1 * NR);
        Kern::pack_b(P.B.p + pc * P.B.rs + c0 * P.B.cs, P.B.cs, P.B.rs, c1 - c0, kc, dst + pc * padded + c0 * kc);
      }
    };
    if (threaded) parallel_for(panels, body, 2); else body(0, panels);
  }
};

struct Impl {
  const char* name;
  int mr, nr;
  int64_t kc;
  void (*compute)(const Problem&, int64_t, int64_t, int64_t, int64_t, int64_t, const Prepacked&);
  void (*prepack_a)(const Problem&, float*, bool);
  void (*prepack_b)(const Problem&, float*, bool);
  void (*pack_b)(const float*, int64_t, int64_t, int64_t, int64_t, float*);
  void (*pack_rows)(const float* const*, int, int64_t, int64_t, float*);
  void (*pack_runs)(const float* const*, int64_t, int64_t, int, int, float*);
  void (*panels_product)(int64_t, int64_t, int64_t, const float*, const float*, float, float*, int64_t);
};

template <class Kern>
constexpr Impl make_impl() {
  return Impl{Kern::name(),          Kern::MR,       Kern::NR,       Kern::KC,
              &Driver<Kern>::compute, &Driver<Kern>::prepack_a, &Driver<Kern>::prepack_b,
              &Kern::pack_b,          Kern::pack_rows,          Kern::pack_runs,
              &Driver<Kern>::panels_product};
}

const Impl generic_impl = make_impl<GenericKernel>();
#if WSR_GEMM_X86
const Impl avx2_impl = make_impl<Avx2Kernel>();
const Impl avx512_impl = make_impl<Avx512Kernel>();
#endif

const Impl* detect() {
#if WSR_GEMM_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return &avx512_impl;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &avx2_impl;
#endif
  return &generic_impl;
}

std::atomic<const Impl*> selected{nullptr};

const Impl& impl() {
  const Impl* p = selected.load(std::memory_order_acquire);
  if (!p) {
    p = detect();
    selected.store(p, std::memory_order_release);
  }
  return *p;
}

// C_i = beta * C_i over rows [0, M) (beta == 0 writes zeros without reading).
void scale_c(const OutView& C, int64_t item, int64_t M, int64_t N, float beta) {
  if (beta == 1.0f) return;
  float* c = C.p + item * C.stride;
  for (int64_t i = 0; i < M; ++i) {
    float* row = c + i * C.rs;
    if (beta == 0.0f)
      for (int64_t j = 0; j < N; ++j) row[j * C.cs] = 0.0f;
    else
      for (int64_t j = 0; j < N; ++j) row[j * C.cs] *= beta;
  }
}

// Fraction of computed lanes that are useful when n columns are tiled by nr.
double lane_use(int64_t n, int nr) { return static_cast<double>(n) / static_cast<double>(round_up(n, nr)); }

// Builds the internal problem. The microkernel wastes lanes only along N (the vector dimension), so
// when N is small and badly tiled but M is not (e.g. N = 25), compute C^T = op(B)^T op(A)^T instead.
Problem make_problem(const Impl& im, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB,
                     float beta, float* C, int64_t ldc, int64_t strideC) {
  // op(A)[i,k] and op(B)[k,j] as strided views.
  const View a{A, transA ? 1 : lda, transA ? lda : 1, strideA};
  const View b{B, transB ? 1 : ldb, transB ? ldb : 1, strideB};
  const OutView c{C, ldc, 1, strideC};
  const bool swap = lane_use(M, im.nr) > lane_use(N, im.nr) + 0.08;
  if (!swap) return Problem{M, N, K, alpha, beta, a, b, c};
  // C^T[j,i] = sum_k op(B)^T[j,k] op(A)^T[k,i]
  const View at{B, b.cs, b.rs, strideB};   // new A = op(B)^T: [N, K]
  const View bt{A, a.cs, a.rs, strideA};   // new B = op(A)^T: [K, M]
  const OutView ct{C, 1, ldc, strideC};    // new C = C^T: [N, M]
  return Problem{N, M, K, alpha, beta, at, bt, ct};
}

void run(bool threaded, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
         int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta, float* C,
         int64_t ldc, int64_t strideC, int64_t batch) {
  if (M <= 0 || N <= 0 || batch <= 0) return;
  if (strideC == 0 && batch > 1) {
    // Every product updates the same C: apply them in order.
    for (int64_t i = 0; i < batch; ++i)
      run(threaded, transA, transB, M, N, K, alpha, A + i * strideA, lda, 0, B + i * strideB, ldb, 0, beta, C,
          ldc, 0, 1);
    return;
  }
  const int threads = threaded ? num_threads() : 1;
  const OutView cview{C, ldc, 1, strideC};
  if (K <= 0 || alpha == 0.0f) {
    if (beta == 1.0f) return;
    const int64_t grain = std::max<int64_t>(1, (int64_t(1) << 16) / std::max<int64_t>(1, M * N));
    auto body = [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) scale_c(cview, i, M, N, beta);
    };
    if (threads > 1) parallel_for(batch, body, grain); else body(0, batch);
    return;
  }

  const Impl& im = impl();
  const Problem P = make_problem(im, transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C,
                                 ldc, strideC);

  // Work split: `splits` pieces per product along whichever of M / N has more tiles, so that
  // batch * splits keeps every thread busy with equal shares.
  const double flops = 2.0 * static_cast<double>(M) * N * K;
  int64_t splits = 1;
  // Waking the pool costs tens of microseconds here: below ~1e7 flops one thread finishes sooner.
  bool use_threads = threads > 1 && flops * static_cast<double>(batch) >= 1.2e7;
  const int64_t m_units = ceil_div(P.M, im.mr), n_units = ceil_div(P.N, im.nr);
  const bool split_m = m_units >= n_units;
  const int64_t units = split_m ? m_units : n_units;
  if (use_threads && !(batch >= threads && (batch % threads == 0 || batch >= 4 * threads))) {
    // Smallest split count that makes the task count a multiple of the thread count (or large).
    for (splits = 1; splits < units; ++splits) {
      const int64_t tasks = batch * splits;
      if (tasks >= threads && (tasks % threads == 0 || tasks >= 4 * threads)) break;
    }
    splits = std::min(splits, units);
    if (batch * splits < 2) use_threads = false;
  }

  // A shared operand (stride 0) used by several products is packed once, by all threads.
  Prepacked pre;
  const bool tasks_many = batch > 1;
  if (tasks_many && P.A.stride == 0) {
    float* buf = shared_workspace(static_cast<size_t>(round_up(P.M, im.mr) * P.K) + 64);
    im.prepack_a(P, buf, use_threads);
    pre.a = buf;
  } else if (tasks_many && P.B.stride == 0) {
    float* buf = shared_workspace(static_cast<size_t>(round_up(P.N, im.nr) * P.K) + 64);
    im.prepack_b(P, buf, use_threads);
    pre.b = buf;
  }

  auto body = [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t item = t / splits, piece = t % splits;
      const int64_t u0 = units * piece / splits, u1 = units * (piece + 1) / splits;
      if (split_m)
        im.compute(P, item, u0 * im.mr, std::min(P.M, u1 * im.mr), 0, P.N, pre);
      else
        im.compute(P, item, 0, P.M, u0 * im.nr, std::min(P.N, u1 * im.nr), pre);
    }
  };
  const int64_t tasks = batch * splits;
  if (use_threads) parallel_for(tasks, body, 1); else body(0, tasks);
}

}  // namespace

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  run(false, transA, transB, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

void sgemm_parallel(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  run(true, transA, transB, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

void sgemm_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                   int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                   float* C, int64_t ldc, int64_t strideC, int64_t batch) {
  run(true, transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC, batch);
}

GemmPanels gemm_panels() { return GemmPanels{impl().mr, impl().nr}; }

int64_t gemm_depth_block(int64_t K) { return balanced(std::max<int64_t>(K, 1), impl().kc, 1); }

void gemm_pack_b(const float* B, int64_t rs, int64_t cs, int64_t kc, int64_t n, float* dst) {
  impl().pack_b(B, cs, rs, n, kc, dst);  // the B packer takes op(B)^T: rows are B's columns
}

void gemm_pack_a_rows(const float* const* rows, int count, int64_t offset, int64_t len, float* dst) {
  impl().pack_rows(rows, count, offset, len, dst);
}

void gemm_pack_a_runs(const float* const* runs, int64_t offset, int64_t len, int r0, int count, float* dst) {
  impl().pack_runs(runs, offset, len, r0, count, dst);
}

void gemm_panels_product(int64_t M, int64_t N, int64_t kc, const float* a, const float* b, float beta, float* C,
                         int64_t ldc) {
  if (M > 0 && N > 0) impl().panels_product(M, N, kc, a, b, beta, C, ldc);
}

const char* sgemm_kernel_name() { return impl().name; }

bool sgemm_select_kernel(const char* name) {
  const Impl* choice = nullptr;
  if (!name || !*name) {
    choice = detect();
  } else if (std::strcmp(name, "generic") == 0) {
    choice = &generic_impl;
  }
#if WSR_GEMM_X86
  else if (std::strcmp(name, "avx2") == 0) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) choice = &avx2_impl;
  } else if (std::strcmp(name, "avx512") == 0) {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) choice = &avx512_impl;
  }
#endif
  if (!choice) return false;
  selected.store(choice, std::memory_order_release);
  return true;
}

}  // namespace wsr::cpu
