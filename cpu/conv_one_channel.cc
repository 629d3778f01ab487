// One-channel direct convolution (see conv_one_channel.h), AVX-512.
//
// Each image is first split into column phases: with stride sw, phase φ of a padded row holds its columns
// φ, φ + sw, φ + 2·sw, ... So tap (i, j) of output row oy reads phase j % sw of padded row oy·sh + i from
// column j / sw on, and 16 consecutive outputs of the row are one contiguous 16-float load. The forward
// pass keeps a block of rows × output channels of accumulators in registers (each tap's inputs and weights
// shared within the block) and writes output rows straight to NCHW with masked stores; the weight gradient
// keeps a block of channels × taps of sums in registers while it walks the output planes.
#include "conv_one_channel.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "parallel.h"

#if (defined(__x86_64__) || defined(_M_X64)) && !defined(WSR_GEMM_PORTABLE)
#define WSR_ONE_CHANNEL_AVX512 1
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 on its own intrinsics
#endif
#include <immintrin.h>
#else
#define WSR_ONE_CHANNEL_AVX512 0
#endif

namespace wsr::cpu {

#if WSR_ONE_CHANNEL_AVX512
namespace {

constexpr int kLanes = 16;
#define WSR_AVX512 __attribute__((target("avx512f")))
#define WSR_AVX512_INLINE inline __attribute__((target("avx512f"), always_inline))

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// The phase-split copy of one padded image: rows × sw phases × len floats, zero outside the image.
struct Phases {
  int64_t rows, sw, sh, len;
  explicit Phases(const WindowGeometry& s)
      : rows(int64_t{s.oh - 1} * s.stride_h + s.kh),
        sw(s.stride_w),
        sh(s.stride_h),
        len(round_up(s.ow, kLanes) + (s.kw - 1) / s.stride_w + 1) {}
  int64_t size() const { return rows * sw * len; }
  // Offset of tap (i, j) from the start of its output row's inputs, and of output row oy's inputs.
  int64_t tap(int64_t i, int64_t j) const { return (i * sw + j % sw) * len + j / sw; }
  int64_t row(int64_t oy) const { return oy * sh * sw * len; }
};

// dst[t] = line[t·SW + phase] for t < len (SW a compile-time stride for the common strides, so it vectorises).
template <int SW>
void take_phase(const float* line, int64_t sw, int64_t phase, int64_t len, float* dst) {
  const int64_t stride = SW > 0 ? SW : sw;
  for (int64_t t = 0; t < len; ++t) dst[t] = line[t * stride + phase];
}

// The padded image's rows, each first copied whole (zeros around the image) and then split into phases.
void split_phases(const WindowGeometry& s, const Phases& p, const float* image, float* line, float* dst) {
  const int64_t width = p.len * p.sw;
  const int64_t first = std::min<int64_t>(s.pad_left, width), last = std::min<int64_t>(s.pad_left + s.w, width);
  for (int64_t r = 0; r < p.rows; ++r) {
    const int64_t iy = r - s.pad_top;
    std::fill(line, line + width, 0.f);
    if (iy >= 0 && iy < s.h) std::copy(image + iy * s.w, image + iy * s.w + (last - first), line + first);
    for (int64_t phase = 0; phase < p.sw; ++phase) {
      float* d = dst + (r * p.sw + phase) * p.len;
      if (p.sw == 1)
        take_phase<1>(line, 1, phase, p.len, d);
      else if (p.sw == 2)
        take_phase<2>(line, 2, phase, p.len, d);
      else
        take_phase<0>(line, p.sw, phase, p.len, d);
    }
  }
}

// Offset of each tap (i·kw + j) from its output row's inputs in the phase-split image.
std::vector<int64_t> tap_offsets(const WindowGeometry& s, const Phases& p) {
  std::vector<int64_t> offsets(static_cast<size_t>(int64_t{s.kh} * s.kw));
  for (size_t t = 0; t < offsets.size(); ++t) offsets[t] = p.tap(static_cast<int64_t>(t) / s.kw, static_cast<int64_t>(t) % s.kw);
  return offsets;
}

// The calling thread's buffer for the phase-split image, followed by one padded row.
thread_local std::vector<float> phases_scratch;
float* phases_buffer(const Phases& p) {
  const size_t floats = static_cast<size_t>(p.size() + p.len * p.sw);
  if (phases_scratch.size() < floats) phases_scratch.resize(floats);
  return phases_scratch.data();
}

// Lanes [0, count) of a chunk of 16 outputs.
WSR_AVX512_INLINE __mmask16 first_lanes(int64_t count) {
  return count >= kLanes ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1u);
}

// Output rows [oy0, oy0 + R) of channels [k0, k0 + KB) of one image: R·KB independent accumulators, each
// tap's R input vectors and KB weights shared among them.
template <int R, int KB>
WSR_AVX512_INLINE void forward_block(const WindowGeometry& s, const Phases& p, const int64_t* taps_at,
                                     const float* phased, const float* w, const float* b, int64_t k0, int64_t oy0,
                                     float* y_image) {
  const int64_t taps = int64_t{s.kh} * s.kw, plane = s.positions();
  for (int64_t ox0 = 0; ox0 < s.ow; ox0 += kLanes) {
    __m512 acc[R][KB];
    for (int kb = 0; kb < KB; ++kb) {
      const __m512 bias = _mm512_set1_ps(b ? b[k0 + kb] : 0.f);
      for (int r = 0; r < R; ++r) acc[r][kb] = bias;
    }
    for (int64_t t = 0; t < taps; ++t) {
      __m512 v[R];
      for (int r = 0; r < R; ++r) v[r] = _mm512_loadu_ps(phased + p.row(oy0 + r) + taps_at[t] + ox0);
      for (int kb = 0; kb < KB; ++kb) {
        const __m512 wt = _mm512_set1_ps(w[(k0 + kb) * taps + t]);
        for (int r = 0; r < R; ++r) acc[r][kb] = _mm512_fmadd_ps(wt, v[r], acc[r][kb]);
      }
    }
    const __mmask16 live = first_lanes(s.ow - ox0);
    for (int kb = 0; kb < KB; ++kb)
      for (int r = 0; r < R; ++r)
        _mm512_mask_storeu_ps(y_image + (k0 + kb) * plane + (oy0 + r) * s.ow + ox0, live, acc[r][kb]);
  }
}

template <int KB>
WSR_AVX512_INLINE void forward_channels(const WindowGeometry& s, const Phases& p, const int64_t* taps_at,
                                        const float* phased, const float* w, const float* b, int64_t k0,
                                        float* y_image) {
  constexpr int kRows = 3;  // with 4 channels: 12 independent FMA chains
  int64_t oy = 0;
  for (; oy + kRows <= s.oh; oy += kRows) forward_block<kRows, KB>(s, p, taps_at, phased, w, b, k0, oy, y_image);
  for (; oy < s.oh; ++oy) forward_block<1, KB>(s, p, taps_at, phased, w, b, k0, oy, y_image);
}

WSR_AVX512 void forward_images(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y,
                               int64_t i0, int64_t i1) {
  const Phases p(s);
  float* phased = phases_buffer(p);
  const std::vector<int64_t> taps_at = tap_offsets(s, p);
  constexpr int kChannels = 4;
  for (int64_t img = i0; img < i1; ++img) {
    split_phases(s, p, x + img * s.h * s.w, phased + p.size(), phased);
    float* y_image = y + img * s.k * s.positions();
    int64_t k0 = 0;
    for (; k0 + kChannels <= s.k; k0 += kChannels)
      forward_channels<kChannels>(s, p, taps_at.data(), phased, w, b, k0, y_image);
    for (; k0 < s.k; ++k0) forward_channels<1>(s, p, taps_at.data(), phased, w, b, k0, y_image);
  }
}

// Adds Σ over one image's output planes of dy[k] · tap t to acc[(k·taps + t)·16 ...] (16 lane sums, added
// up by the caller) for the KB channels from k0 and the NT taps from t0, whose sums stay in registers; with
// bias_acc, also Σ dy[k] to bias_acc[k·16 ...] (the bias gradient, from the same loads of dy).
// Masked loads zero the lanes past a row: they add nothing, not even 0 · inf from a pixel no output reads.
template <int KB, int NT>
WSR_AVX512_INLINE void weight_grad_block(const WindowGeometry& s, const Phases& p, const int64_t* taps_at,
                                         const float* phased, const float* dy_image, int64_t k0, int64_t t0,
                                         float* acc, float* bias_acc) {
  const int64_t taps = int64_t{s.kh} * s.kw, plane = s.positions();
  __m512 sums[KB][NT], bias_sums[KB];
  for (int kb = 0; kb < KB; ++kb) {
    bias_sums[kb] = _mm512_setzero_ps();
    for (int t = 0; t < NT; ++t) sums[kb][t] = _mm512_setzero_ps();
  }
  for (int64_t oy = 0; oy < s.oh; ++oy) {
    const float* rows = phased + p.row(oy);
    for (int64_t ox0 = 0; ox0 < s.ow; ox0 += kLanes) {
      const __mmask16 live = first_lanes(s.ow - ox0);
      __m512 d[KB];
      for (int kb = 0; kb < KB; ++kb) {
        d[kb] = _mm512_maskz_loadu_ps(live, dy_image + (k0 + kb) * plane + oy * s.ow + ox0);
        if (bias_acc) bias_sums[kb] = _mm512_add_ps(bias_sums[kb], d[kb]);
      }
      for (int t = 0; t < NT; ++t) {
        const __m512 v = _mm512_maskz_loadu_ps(live, rows + taps_at[t0 + t] + ox0);
        for (int kb = 0; kb < KB; ++kb) sums[kb][t] = _mm512_fmadd_ps(d[kb], v, sums[kb][t]);
      }
    }
  }
  for (int kb = 0; kb < KB; ++kb)
    for (int t = 0; t < NT; ++t) {
      float* a = acc + ((k0 + kb) * taps + t0 + t) * kLanes;
      _mm512_storeu_ps(a, _mm512_add_ps(_mm512_loadu_ps(a), sums[kb][t]));
    }
  if (bias_acc)
    for (int kb = 0; kb < KB; ++kb) {
      float* a = bias_acc + (k0 + kb) * kLanes;
      _mm512_storeu_ps(a, _mm512_add_ps(_mm512_loadu_ps(a), bias_sums[kb]));
    }
}

// The taps in blocks of at most kTapBlock, NT a compile-time count so the sums are registers.
constexpr int kTapBlock = 9;

template <int KB, int NT = kTapBlock>
WSR_AVX512_INLINE void weight_grad_taps(const WindowGeometry& s, const Phases& p, const int64_t* taps_at,
                                        const float* phased, const float* dy_image, int64_t k0, int64_t t0, int nt,
                                        float* acc, float* bias_acc) {
  if constexpr (NT > 1) {
    if (nt < NT) return weight_grad_taps<KB, NT - 1>(s, p, taps_at, phased, dy_image, k0, t0, nt, acc, bias_acc);
  }
  weight_grad_block<KB, NT>(s, p, taps_at, phased, dy_image, k0, t0, acc, bias_acc);
}

WSR_AVX512 void weight_grad_images(const WindowGeometry& s, const float* x, const float* dy, float* acc,
                                   float* bias_acc, int64_t i0, int64_t i1) {
  const Phases p(s);
  float* phased = phases_buffer(p);
  const int64_t taps = int64_t{s.kh} * s.kw;
  const std::vector<int64_t> taps_at = tap_offsets(s, p);
  constexpr int kChannels = 2;  // 2 x 9 sums, 2 dy and a tap vector in registers
  for (int64_t img = i0; img < i1; ++img) {
    split_phases(s, p, x + img * s.h * s.w, phased + p.size(), phased);
    const float* dy_image = dy + img * s.k * s.positions();
    for (int64_t t0 = 0; t0 < taps; t0 += kTapBlock) {
      const int nt = static_cast<int>(std::min<int64_t>(kTapBlock, taps - t0));
      float* bias = t0 == 0 ? bias_acc : nullptr;  // once per channel
      int64_t k0 = 0;
      for (; k0 + kChannels <= s.k; k0 += kChannels)
        weight_grad_taps<kChannels>(s, p, taps_at.data(), phased, dy_image, k0, t0, nt, acc, bias);
      for (; k0 < s.k; ++k0) weight_grad_taps<1>(s, p, taps_at.data(), phased, dy_image, k0, t0, nt, acc, bias);
    }
  }
}

}  // namespace

bool conv2d_one_channel_applies(const WindowGeometry& s) {
  return s.c == 1 && std::strcmp(sgemm_kernel_name(), "avx512") == 0;
}

void conv2d_one_channel_forward(const WindowGeometry& s, const float* x, const float* w, const float* b, float* y) {
  parallel_for(s.n, [&](int64_t i0, int64_t i1) { forward_images(s, x, w, b, y, i0, i1); });
}

void conv2d_one_channel_backward_weight(const WindowGeometry& s, const float* x, const float* dy, float* dw,
                                        float* db) {
  // Per slot: the weights' lane sums, then the bias's.
  const int64_t taps = int64_t{s.kh} * s.kw, weights = s.k * taps, per_slot = weights + (db ? s.k : 0);
  // One image range per thread slot, each summing into its own lane sums, added in slot order; one slot
  // when the op is too small for the pool (as conv.cc decides), so the sums depend on the thread count only.
  const double work = 2.0 * static_cast<double>(s.output_size()) * static_cast<double>(taps);
  const int64_t slots = std::min<int64_t>(s.n, work < kMinParallelFlops ? 1 : num_threads());
  std::vector<float> acc(static_cast<size_t>(slots * per_slot * kLanes), 0.f);
  parallel_for(
      slots,
      [&](int64_t s0, int64_t s1) {
        for (int64_t slot = s0; slot < s1; ++slot) {
          float* mine = acc.data() + slot * per_slot * kLanes;
          weight_grad_images(s, x, dy, mine, db ? mine + weights * kLanes : nullptr, s.n * slot / slots,
                             s.n * (slot + 1) / slots);
        }
      },
      1);
  for (int64_t e = 0; e < per_slot; ++e) {
    double sum = 0;
    for (int l = 0; l < kLanes; ++l) {
      float lane = acc[e * kLanes + l];
      for (int64_t slot = 1; slot < slots; ++slot) lane += acc[(slot * per_slot + e) * kLanes + l];
      sum += lane;
    }
    (e < weights ? dw[e] : db[e - weights]) = static_cast<float>(sum);
  }
}

#else  // not x86-64: the GEMM path serves one-channel layers too

bool conv2d_one_channel_applies(const WindowGeometry&) { return false; }
void conv2d_one_channel_forward(const WindowGeometry&, const float*, const float*, const float*, float*) {}
void conv2d_one_channel_backward_weight(const WindowGeometry&, const float*, const float*, float*, float*) {}

#endif

}  // namespace wsr::cpu
