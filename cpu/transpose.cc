#include "transpose.h"

#include <algorithm>

#if (defined(__x86_64__) || defined(_M_X64)) && !defined(WSR_GEMM_PORTABLE)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 on its own shuffle intrinsics
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include "avx512_transpose.h"
#define WSR_TRANSPOSE_AVX512 1
#else
#define WSR_TRANSPOSE_AVX512 0
#endif

namespace wsr::cpu {
namespace {

constexpr int64_t T = 16;  // tile side: both the reads and the writes stay within a few cache lines

__attribute__((noinline)) void transpose_portable(const float* src, int64_t rows, int64_t cols, int64_t src_ld, float* dst, int64_t dst_ld,
                        const float* add) {
  for (int64_t r0 = 0; r0 < rows; r0 += T) {
    const int64_t r1 = std::min(rows, r0 + T);
    for (int64_t c0 = 0; c0 < cols; c0 += T) {
      const int64_t c1 = std::min(cols, c0 + T);
      for (int64_t c = c0; c < c1; ++c) {
        float* d = dst + c * dst_ld;
        if (add) {
          for (int64_t r = r0; r < r1; ++r) d[r] = src[r * src_ld + c] + add[c];
        } else {
          for (int64_t r = r0; r < r1; ++r) d[r] = src[r * src_ld + c];
        }
      }
    }
  }
}

#if WSR_TRANSPOSE_AVX512
// One 16x16 tile through registers: `nr` rows and `nc` columns of it are live; edge tiles use masked loads
// and stores (nothing read or written past the matrices). FULL: nr == nc == 16. ADD: add[c] joins column c.
template <bool FULL, bool ADD>
__attribute__((target("avx512f"), noinline)) void tile_avx512(const float* src, int64_t src_ld, float* dst,
                                                                         int64_t dst_ld, const float* add, int nr,
                                                                         int nc) {
  const __mmask16 col_mask = FULL ? 0xFFFF : static_cast<__mmask16>((1u << nc) - 1u);
  const __mmask16 row_mask = FULL ? 0xFFFF : static_cast<__mmask16>((1u << nr) - 1u);
  __m512 v[16];
  for (int r = 0; r < 16; ++r)
    v[r] = FULL ? _mm512_loadu_ps(src + r * src_ld)
                : (r < nr ? _mm512_maskz_loadu_ps(col_mask, src + r * src_ld) : _mm512_setzero_ps());
  transpose16x16(v);
  for (int c = 0; c < (FULL ? 16 : nc); ++c) {
    const __m512 out = ADD ? _mm512_add_ps(v[c], _mm512_set1_ps(add[c])) : v[c];
    if (FULL)
      _mm512_storeu_ps(dst + c * dst_ld, out);
    else
      _mm512_mask_storeu_ps(dst + c * dst_ld, row_mask, out);
  }
}

template <bool ADD>
__attribute__((target("avx512f"))) void tiles_avx512(const float* src, int64_t rows, int64_t cols, int64_t src_ld,
                                                     float* dst, int64_t dst_ld, const float* add) {
  for (int64_t c0 = 0; c0 < cols; c0 += T) {
    const int nc = static_cast<int>(std::min(T, cols - c0));
    for (int64_t r0 = 0; r0 < rows; r0 += T) {
      const int nr = static_cast<int>(std::min(T, rows - r0));
      const float* s = src + r0 * src_ld + c0;
      float* d = dst + c0 * dst_ld + r0;
      const float* a = ADD ? add + c0 : nullptr;
      if (nr == T && nc == T)
        tile_avx512<true, ADD>(s, src_ld, d, dst_ld, a, nr, nc);
      else if (nr * nc > 64)
        tile_avx512<false, ADD>(s, src_ld, d, dst_ld, a, nr, nc);
      else  // a sliver (an image of 3 channels to channels-last): plain copies beat 64 shuffles
        transpose_portable(s, nr, nc, src_ld, d, dst_ld, a);
    }
  }
}

// Three planes of n floats to n interleaved triples (an RGB image to channels-last): 16 pixels, three
// vectors in, three out, each output vector two permutes of the inputs.
__attribute__((target("avx512f"))) void interleave3_avx512(const float* src, int64_t n, int64_t plane, float* dst) {
  alignas(64) static const int32_t pick_ab[3][16] = {
      {0, 16, 0, 1, 17, 0, 2, 18, 0, 3, 19, 0, 4, 20, 0, 5},
      {21, 0, 6, 22, 0, 7, 23, 0, 8, 24, 0, 9, 25, 0, 10, 26},
      {0, 11, 27, 0, 12, 28, 0, 13, 29, 0, 14, 30, 0, 15, 31, 0}};
  alignas(64) static const int32_t pick_c[3][16] = {
      {0, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0},
      {0, 5, 0, 0, 6, 0, 0, 7, 0, 0, 8, 0, 0, 9, 0, 0},
      {10, 0, 0, 11, 0, 0, 12, 0, 0, 13, 0, 0, 14, 0, 0, 15}};
  const __mmask16 from_c[3] = {0x4924, 0x2492, 0x9249};  // lanes j with (16·v + j) % 3 == 2
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 a = _mm512_loadu_ps(src + i), b = _mm512_loadu_ps(src + plane + i),
                 c = _mm512_loadu_ps(src + 2 * plane + i);
    for (int v = 0; v < 3; ++v) {
      const __m512 ab = _mm512_permutex2var_ps(a, _mm512_load_si512(pick_ab[v]), b);
      _mm512_storeu_ps(dst + 3 * i + 16 * v, _mm512_mask_permutexvar_ps(ab, from_c[v], _mm512_load_si512(pick_c[v]), c));
    }
  }
  for (; i < n; ++i)
    for (int ch = 0; ch < 3; ++ch) dst[3 * i + ch] = src[ch * plane + i];
}

__attribute__((target("avx512f"))) void transpose_avx512(const float* src, int64_t rows, int64_t cols,
                                                         int64_t src_ld, float* dst, int64_t dst_ld,
                                                         const float* add) {
  if (rows == 3 && dst_ld == 3 && !add) return interleave3_avx512(src, cols, src_ld, dst);
  // Destination rows outermost: each is written front to back while it sits in L1 (a [196][64] block
  // to NCHW with position tiles outermost rewrote 64 part-lines an image and ran 3x slower).
  if (add)
    tiles_avx512<true>(src, rows, cols, src_ld, dst, dst_ld, add);
  else
    tiles_avx512<false>(src, rows, cols, src_ld, dst, dst_ld, nullptr);
}

bool has_avx512() {
  static const bool yes = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") != 0;
  }();
  return yes;
}
#endif

}  // namespace

void transpose(const float* src, int64_t rows, int64_t cols, int64_t src_ld, float* dst, int64_t dst_ld,
               const float* add) {
#if WSR_TRANSPOSE_AVX512
  if (has_avx512()) return transpose_avx512(src, rows, cols, src_ld, dst, dst_ld, add);
#endif
  transpose_portable(src, rows, cols, src_ld, dst, dst_ld, add);
}

}  // namespace wsr::cpu
