// Counter-based random numbers shared by the CPU and CUDA kernels (and ported bit for bit to
// TypeScript in src/ops/augment_random.ts).
//
// A value is a pure function of (seed, stream, counter): Philox-4x32-10 (Salmon et al., "Parallel
// random numbers: as easy as 1, 2, 3", SC'11) keyed by (seed, stream). No state is carried from one
// value to the next, so results do not depend on thread counts, launch shapes or the device.
//
// Gaussian values come from Box–Muller, with the logarithm, sine and cosine computed here from
// + - * / and sqrt alone (IEEE-754 double, each operation rounded on its own). Those five
// operations round identically in g++, nvcc device code and JavaScript, so the CPU kernels, the
// CUDA kernels and the TypeScript port produce bit-identical values; libm's log/cos would differ in
// the last bits between glibc, CUDA and V8. On the device the operations go through __dadd_rn and
// friends, which nvcc never fuses into FMAs; on the host nothing here may be contracted either
// (x86-64 without -mfma cannot; elsewhere the pragma below turns contraction off).
//
// Included by g++ (WSR_HOST_DEVICE is empty) and by nvcc (functions become __host__ __device__).
#pragma once
#include <math.h>

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define WSR_HOST_DEVICE __host__ __device__
#else
#define WSR_HOST_DEVICE
#endif

#if !defined(__CUDA_ARCH__) && (defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA))
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif
#endif

namespace wsr::rng {

// ---- Rounded double arithmetic that no compiler may fuse ---------------------------------------
#if defined(__CUDA_ARCH__)
WSR_HOST_DEVICE inline double add(double a, double b) { return __dadd_rn(a, b); }
WSR_HOST_DEVICE inline double sub(double a, double b) { return __dadd_rn(a, -b); }
WSR_HOST_DEVICE inline double mul(double a, double b) { return __dmul_rn(a, b); }
WSR_HOST_DEVICE inline double div(double a, double b) { return __ddiv_rn(a, b); }
WSR_HOST_DEVICE inline double sqrt_rn(double a) { return __dsqrt_rn(a); }
#else
inline double add(double a, double b) { return a + b; }
inline double sub(double a, double b) { return a - b; }
inline double mul(double a, double b) { return a * b; }
inline double div(double a, double b) { return a / b; }
inline double sqrt_rn(double a) { return ::sqrt(a); }
#endif

// floor(x) for |x| < 2^62, by truncation (exact; no libm call, which x86-64 without SSE4.1 needs).
WSR_HOST_DEVICE inline double floor_small(double x) {
  const double t = static_cast<double>(static_cast<int64_t>(x));
  return t > x ? t - 1.0 : t;
}

// 2^-e for e in [0, 1022], built from its bits (exact).
WSR_HOST_DEVICE inline double pow2_neg(int e) {
  const uint64_t bits = static_cast<uint64_t>(1023 - e) << 52;
#if defined(__CUDA_ARCH__)
  return __longlong_as_double(static_cast<long long>(bits));
#else
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
#endif
}

// ---- Philox-4x32-10 ----------------------------------------------------------------------------
struct Philox4 {
  uint32_t v[4];
};

WSR_HOST_DEVICE inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t product = static_cast<uint64_t>(a) * b;
  *hi = static_cast<uint32_t>(product >> 32);
  return static_cast<uint32_t>(product);
}

// The Random123 reference function: counter (c0..c3), key (k0, k1), ten rounds.
WSR_HOST_DEVICE inline Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0,
                                             uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    uint32_t hi0, hi1;
    const uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    const uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// What a draw is for: the third counter word, so different uses never share a draw.
enum Domain : uint32_t {
  kElementNoise = 1,   // per-element Gaussian noise, counter = element index / 4
  kTranslation = 2,    // per-image shift, counter = image index
  kRotation = 3,       // per-image angle, counter = image index
};

// Four 32-bit words for (seed, stream, domain, counter): the key is (seed, stream), the counter
// (low 32 bits, high 32 bits, domain, 0).
WSR_HOST_DEVICE inline Philox4 draw(uint32_t seed, uint32_t stream, Domain domain, uint64_t counter) {
  return philox4x32_10(static_cast<uint32_t>(counter), static_cast<uint32_t>(counter >> 32),
                       static_cast<uint32_t>(domain), 0u, seed, stream);
}

// A uniform in (0, 1]: (k + 1) / 2^32, exact in double.
WSR_HOST_DEVICE inline double uniform_open0(uint32_t k) {
  return (static_cast<double>(k) + 1.0) * 2.3283064365386963e-10;  // 2^-32
}

// floor(k · range / 2^32): a uniform integer in [0, range) for range in [1, 2^32).
WSR_HOST_DEVICE inline uint32_t uniform_below(uint32_t k, uint32_t range) {
  uint32_t hi;
  mulhilo(k, range, &hi);
  return hi;
}

// ---- Deterministic elementary functions --------------------------------------------------------

// ln(u) for u = (k + 1) / 2^32, k a 32-bit word. With v = k + 1 = m · 2^e (m in [√½, √2)):
// ln u = (e − 32)·ln 2 + ln m, and ln m = 2·atanh(s) with s = (m − 1)/(m + 1), |s| <= 0.1716,
// summed as 2s·Σ s^(2i)/(2i+1) for i <= 10 (the next term is below 1e-17 of the sum).
WSR_HOST_DEVICE inline double log_uniform(uint32_t k) {
  const uint64_t v = static_cast<uint64_t>(k) + 1;  // 1 .. 2^32
#if defined(__CUDA_ARCH__)
  int e = 63 - __clzll(static_cast<long long>(v));  // floor(log2 v), 0 .. 32
#else
  int e = 63 - __builtin_clzll(v);
#endif
  double m = mul(static_cast<double>(v), pow2_neg(e));  // exact: v / 2^e in [1, 2)
  if (m > 1.4142135623730951) {                    // √2
    m = mul(m, 0.5);
    ++e;
  }
  const double s = div(sub(m, 1.0), add(m, 1.0));
  const double w = mul(s, s);
  double p = 0.047619047619047616;          // 1/21
  p = add(mul(p, w), 0.05263157894736842);  // 1/19
  p = add(mul(p, w), 0.058823529411764705); // 1/17
  p = add(mul(p, w), 0.06666666666666667);  // 1/15
  p = add(mul(p, w), 0.07692307692307693);  // 1/13
  p = add(mul(p, w), 0.09090909090909091);  // 1/11
  p = add(mul(p, w), 0.1111111111111111);   // 1/9
  p = add(mul(p, w), 0.14285714285714285);  // 1/7
  p = add(mul(p, w), 0.2);                  // 1/5
  p = add(mul(p, w), 0.3333333333333333);   // 1/3
  p = add(mul(p, w), 1.0);
  const double ln_m = mul(mul(2.0, s), p);
  return add(mul(static_cast<double>(e - 32), 0.6931471805599453), ln_m);  // ln 2
}

// sin and cos of 2π·t (t in turns, |t| <= 2^50). With q = floor(4t + ½) and a = (4t − q)·π/2,
// 2πt = q·π/2 + a and |a| <= π/4: Taylor series of sin a to a^17 and of cos a to a^16 (next
// terms below 1e-17), then the q mod 4 quarter turns by swapping and negating (exact).
WSR_HOST_DEVICE inline void sincos_turns(double t, double* sin_out, double* cos_out) {
  const double t4 = mul(t, 4.0);
  const double q = floor_small(add(t4, 0.5));
  const double a = mul(sub(t4, q), 1.5707963267948966);  // π/2
  const double a2 = mul(a, a);
  double sp = 2.8114572543455206e-15;            // +1/17!
  sp = add(mul(sp, a2), -7.647163731819816e-13); // -1/15!
  sp = add(mul(sp, a2), 1.6059043836821613e-10); // +1/13!
  sp = add(mul(sp, a2), -2.505210838544172e-8);  // -1/11!
  sp = add(mul(sp, a2), 2.7557319223985893e-6);  // +1/9!
  sp = add(mul(sp, a2), -0.0001984126984126984); // -1/7!
  sp = add(mul(sp, a2), 0.008333333333333333);   // +1/5!
  sp = add(mul(sp, a2), -0.16666666666666666);   // -1/3!
  sp = add(mul(sp, a2), 1.0);
  const double sin_a = mul(a, sp);
  double cp = 4.779477332387385e-14;             // +1/16!
  cp = add(mul(cp, a2), -1.1470745597729725e-11);// -1/14!
  cp = add(mul(cp, a2), 2.08767569878681e-9);    // +1/12!
  cp = add(mul(cp, a2), -2.755731922398589e-7);  // -1/10!
  cp = add(mul(cp, a2), 2.48015873015873e-5);    // +1/8!
  cp = add(mul(cp, a2), -0.001388888888888889);  // -1/6!
  cp = add(mul(cp, a2), 0.041666666666666664);   // +1/4!
  cp = add(mul(cp, a2), -0.5);                   // -1/2!
  const double cos_a = add(mul(cp, a2), 1.0);
  const int quarter = static_cast<int>(static_cast<int64_t>(q) & 3);  // q mod 4, also for q < 0
  switch (quarter) {
    case 0: *sin_out = sin_a; *cos_out = cos_a; break;
    case 1: *sin_out = cos_a; *cos_out = -sin_a; break;
    case 2: *sin_out = -sin_a; *cos_out = -cos_a; break;
    default: *sin_out = -cos_a; *cos_out = sin_a; break;
  }
}

// Two independent standard normals from two 32-bit words (Box–Muller): r = sqrt(−2 ln u1),
// θ = 2π·u2 with u1, u2 in (0, 1]; z0 = r cos θ, z1 = r sin θ. |z| <= sqrt(64 ln 2) ≈ 6.66.
WSR_HOST_DEVICE inline void box_muller(uint32_t k1, uint32_t k2, double* z0, double* z1) {
  const double radius = sqrt_rn(mul(-2.0, log_uniform(k1)));
  double s, c;
  sincos_turns(uniform_open0(k2), &s, &c);
  *z0 = mul(radius, c);
  *z1 = mul(radius, s);
}

// The standard normals of elements 4g .. 4g+3 under (seed, stream): one Philox draw per group of
// four, so element i's value is z[i % 4] of group i / 4.
WSR_HOST_DEVICE inline void normal4(uint32_t seed, uint32_t stream, uint64_t group, double z[4]) {
  const Philox4 r = draw(seed, stream, kElementNoise, group);
  box_muller(r.v[0], r.v[1], &z[0], &z[1]);
  box_muller(r.v[2], r.v[3], &z[2], &z[3]);
}

}  // namespace wsr::rng
