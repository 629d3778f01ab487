// The counter-based generator of the augmentation kernels (common/random.h, common/augment_math.h),
// ported bit for bit: the same Philox-4x32-10 words, and the same Gaussian values, shifts and angles
// to the last bit, because every double operation here is the one the C++ and CUDA code performs
// (JavaScript arithmetic is IEEE double without fused multiply-adds, like the kernels').
// Useful for reproducing a kernel's perturbation on the host, e.g. in a data loader or a test.

const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_32 = 2.3283064365386963e-10;

/** Domains: the third Philox counter word, one per use, so different uses never share a draw. */
export const RandomDomain = { elementNoise: 1, translation: 2, rotation: 3 } as const;

/** The high 32 bits of the 64-bit product of two 32-bit words, exactly, in double arithmetic. */
function mulhi(a: number, b: number): number {
  const p0 = a * (b & 0xffff); // < 2^48: exact
  const p1 = a * (b >>> 16); // < 2^48: exact
  const p1Low = p1 % 65536;
  const p1High = (p1 - p1Low) / 65536;
  const s = p1Low * 65536 + p0; // < 2^49: exact
  return (p1High + Math.floor(s / TWO_POW_32)) >>> 0;
}

/**
 * Philox-4x32-10 (Random123's reference function): four 32-bit output words for a 4-word counter
 * and a 2-word key. All arguments are 32-bit unsigned integers.
 */
export function philox4x32_10(
  counter: readonly [number, number, number, number],
  key: readonly [number, number],
): [number, number, number, number] {
  let [c0, c1, c2, c3] = counter.map((v) => v >>> 0);
  let [k0, k1] = key.map((v) => v >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + 0x9e3779b9) >>> 0;
      k1 = (k1 + 0xbb67ae85) >>> 0;
    }
    const hi0 = mulhi(0xd2511f53, c0);
    const lo0 = Math.imul(0xd2511f53, c0) >>> 0;
    const hi1 = mulhi(0xcd9e8d57, c2);
    const lo1 = Math.imul(0xcd9e8d57, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

/** Philox draw number `counter` (an integer in [0, 2^53)) of a domain under (seed, stream). */
export function draw(seed: number, stream: number, domain: number, counter: number): [number, number, number, number] {
  const low = counter % TWO_POW_32;
  const high = (counter - low) / TWO_POW_32;
  return philox4x32_10([low, high, domain, 0], [seed, stream]);
}

/** (k + 1) / 2^32: a uniform in (0, 1] from a 32-bit word. */
export function uniformOpen0(k: number): number {
  return (k + 1) * TWO_POW_MINUS_32;
}

/** floor(k · range / 2^32): a uniform integer in [0, range), range in [1, 2^32). */
export function uniformBelow(k: number, range: number): number {
  return mulhi(k >>> 0, range >>> 0);
}

/** ln((k + 1) / 2^32), as common/random.h's log_uniform computes it. */
export function logUniform(k: number): number {
  const v = k + 1;
  let e = v === TWO_POW_32 ? 32 : 31 - Math.clz32(v);
  let m = v / 2 ** e; // exact, in [1, 2)
  if (m > 1.4142135623730951) {
    m = m * 0.5;
    e++;
  }
  const s = (m - 1) / (m + 1);
  const w = s * s;
  let p = 0.047619047619047616;
  for (const c of [
    0.05263157894736842, 0.058823529411764705, 0.06666666666666667, 0.07692307692307693, 0.09090909090909091,
    0.1111111111111111, 0.14285714285714285, 0.2, 0.3333333333333333, 1.0,
  ]) {
    p = p * w + c;
  }
  const lnM = 2 * s * p;
  return (e - 32) * 0.6931471805599453 + lnM;
}

const SIN_COEFFICIENTS = [
  -7.647163731819816e-13, 1.6059043836821613e-10, -2.505210838544172e-8, 2.7557319223985893e-6, -0.0001984126984126984,
  0.008333333333333333, -0.16666666666666666, 1.0,
];
const COS_COEFFICIENTS = [
  -1.1470745597729725e-11, 2.08767569878681e-9, -2.755731922398589e-7, 2.48015873015873e-5, -0.001388888888888889,
  0.041666666666666664, -0.5, 1.0,
];

/** [sin 2πt, cos 2πt] for t in turns, as common/random.h's sincos_turns computes them. */
export function sincosTurns(t: number): [number, number] {
  const t4 = t * 4;
  const q = Math.floor(t4 + 0.5);
  const a = (t4 - q) * 1.5707963267948966;
  const a2 = a * a;
  let sp = 2.8114572543455206e-15;
  for (const c of SIN_COEFFICIENTS) sp = sp * a2 + c;
  const sinA = a * sp;
  let cp = 4.779477332387385e-14;
  for (const c of COS_COEFFICIENTS) cp = cp * a2 + c;
  const cosA = cp;
  switch (((q % 4) + 4) % 4) {
    case 0:
      return [sinA, cosA];
    case 1:
      return [cosA, -sinA];
    case 2:
      return [-sinA, -cosA];
    default:
      return [-cosA, sinA];
  }
}

/** Box–Muller: two standard normals [r cos θ, r sin θ], r = sqrt(−2 ln u1), θ = 2π u2, u in (0, 1]. */
export function boxMuller(k1: number, k2: number): [number, number] {
  const radius = Math.sqrt(-2 * logUniform(k1));
  const [s, c] = sincosTurns(uniformOpen0(k2));
  return [radius * c, radius * s];
}

/** The standard normals of elements 4g .. 4g+3 under (seed, stream). */
export function normal4(seed: number, stream: number, group: number): [number, number, number, number] {
  const r = draw(seed, stream, RandomDomain.elementNoise, group);
  return [...boxMuller(r[0], r[1]), ...boxMuller(r[2], r[3])];
}

/** The standard normal that gaussianNoise and edgeNoise add (times σ) to flat element `index`. */
export function gaussianAt(seed: number, stream: number, index: number): number {
  return normal4(seed, stream, Math.floor(index / 4))[index % 4];
}

/** Largest translation along an axis of `size` pixels: round(fraction·size), halves up. */
export function maxShift(fraction: number, size: number): number {
  return Math.floor(fraction * size + 0.5);
}

/**
 * Image `image`'s translation (rows down, columns right) under (seed, stream), for an H×W image and
 * `maxFraction` as given to translate.
 */
export function translationShift(
  seed: number,
  stream: number,
  image: number,
  height: number,
  width: number,
  maxFraction: number,
): { dy: number; dx: number } {
  const maxDy = maxShift(maxFraction, height);
  const maxDx = maxShift(maxFraction, width);
  const r = draw(seed, stream, RandomDomain.translation, image);
  return { dy: uniformBelow(r[0], 2 * maxDy + 1) - maxDy, dx: uniformBelow(r[1], 2 * maxDx + 1) - maxDx };
}

/** Image `image`'s rotation angle in degrees (positive: counter-clockwise as displayed). */
export function rotationDegrees(seed: number, stream: number, image: number, maxDegrees: number): number {
  const r = draw(seed, stream, RandomDomain.rotation, image);
  return maxDegrees * (2 * uniformOpen0(r[0]) - 1);
}
