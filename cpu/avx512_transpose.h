// An in-register 16x16 transpose of floats (AVX-512), shared by the GEMM's packers and cpu/transpose.cc.
// Only for x86-64 translation units that check for AVX-512 at run time before calling it.
#pragma once
#include <immintrin.h>

namespace wsr::cpu {

// r[i] holds row i of a 16x16 tile on entry and column i on return.
__attribute__((target("avx512f"))) inline void transpose16x16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a0 = _mm512_castps_pd(t[4 * i]), a1 = _mm512_castps_pd(t[4 * i + 1]);
    const __m512d a2 = _mm512_castps_pd(t[4 * i + 2]), a3 = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
  }
  // r[4i+j] now holds, for rows 4i..4i+3, column j of each 128-bit lane (lane L covers columns 4L..4L+3).
  for (int i = 0; i < 4; ++i) {
    // Combine 128-bit lanes across the four row groups.
    const int a = i;  // column-in-lane index
    const __m512 g0 = r[a], g1 = r[4 + a], g2 = r[8 + a], g3 = r[12 + a];
    const __m512 u0 = _mm512_shuffle_f32x4(g0, g1, 0x44);  // lanes 0,1 of g0 | lanes 0,1 of g1
    const __m512 u1 = _mm512_shuffle_f32x4(g0, g1, 0xEE);  // lanes 2,3 of g0 | lanes 2,3 of g1
    const __m512 u2 = _mm512_shuffle_f32x4(g2, g3, 0x44);
    const __m512 u3 = _mm512_shuffle_f32x4(g2, g3, 0xEE);
    t[a] = _mm512_shuffle_f32x4(u0, u2, 0x88);       // lane 0 of each group  -> column a
    t[4 + a] = _mm512_shuffle_f32x4(u0, u2, 0xDD);   // lane 1                -> column 4 + a
    t[8 + a] = _mm512_shuffle_f32x4(u1, u3, 0x88);   // lane 2                -> column 8 + a
    t[12 + a] = _mm512_shuffle_f32x4(u1, u3, 0xDD);  // lane 3                -> column 12 + a
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

}  // namespace wsr::cpu
