// Seeded Glorot-uniform initialisation (Keras' default kernel initialiser), generated on the host
// with Philox-4x32-10, the generator of the augmentation kernels, so a seed gives the same weights on
// every device and every machine.

/** The Philox domain (third counter word) of weight initialisation, apart from the augmentation domains. */
export const INIT_DOMAIN = 0x696e6974; // 'init'

// Module-level aliases: a global lookup of `Math` per call is slow where code runs in a vm context (jest).
const { floor, imul } = Math;

const TWO_POW_32 = 4294967296;
const TWO_POW_MINUS_32 = 2.3283064365386963e-10;

// Philox-4x32-10 constants (Random123): round multipliers and Weyl key increments.
const MULTIPLIER_0 = 0xd2511f53;
const MULTIPLIER_1 = 0xcd9e8d57;
const WEYL_0 = 0x9e3779b9;
const WEYL_1 = 0xbb67ae85;

/** High 32 bits of m·c for a 32-bit constant m = mHigh·2^16 + mLow and a 32-bit word c, exact in doubles. */
function mulhi(mHigh: number, mLow: number, c: number): number {
  const cHigh = c >>> 16;
  const cLow = c & 0xffff;
  const middle = (mHigh * cLow + mLow * cHigh) * 65536 + mLow * cLow; // < 2^50: exact
  return (mHigh * cHigh + floor(middle / TWO_POW_32)) >>> 0;
}

/**
 * Fills `out` with Philox-4x32-10 words: draw g (counter [g mod 2^32, floor(g / 2^32), domain, 0],
 * key [seed, stream]) gives words 4g .. 4g+3. The same words as `draw` in src/ops/augment_random.ts (the
 * port the augmentation kernels are checked against), written without allocations: initialising the
 * locally connected CIFAR net takes 11 million words.
 */
export function philoxWords(out: Uint32Array, seed: number, stream: number, domain: number): Uint32Array {
  const m0High = MULTIPLIER_0 >>> 16;
  const m0Low = MULTIPLIER_0 & 0xffff;
  const m1High = MULTIPLIER_1 >>> 16;
  const m1Low = MULTIPLIER_1 & 0xffff;
  for (let group = 0; 4 * group < out.length; group++) {
    let c0 = group % TWO_POW_32 >>> 0;
    let c1 = floor(group / TWO_POW_32) >>> 0;
    let c2 = domain >>> 0;
    let c3 = 0;
    let k0 = seed >>> 0;
    let k1 = stream >>> 0;
    for (let round = 0; round < 10; round++) {
      if (round > 0) {
        k0 = (k0 + WEYL_0) >>> 0;
        k1 = (k1 + WEYL_1) >>> 0;
      }
      const hi0 = mulhi(m0High, m0Low, c0);
      const lo0 = imul(MULTIPLIER_0, c0) >>> 0;
      const hi1 = mulhi(m1High, m1Low, c2);
      const lo1 = imul(MULTIPLIER_1, c2) >>> 0;
      c0 = (hi1 ^ c1 ^ k0) >>> 0;
      c1 = lo1;
      c2 = (hi0 ^ c3 ^ k1) >>> 0;
      c3 = lo0;
    }
    const base = 4 * group;
    out[base] = c0;
    if (base + 1 < out.length) out[base + 1] = c1;
    if (base + 2 < out.length) out[base + 2] = c2;
    if (base + 3 < out.length) out[base + 3] = c3;
  }
  return out;
}

/** Which kind of layer a weight belongs to: it decides how Keras computes the fans. */
export type KernelKind = 'conv' | 'local' | 'dense';

/** fan_in and fan_out of a weight, as Keras computes them. */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/**
 * The fans Keras' Glorot initialiser uses for a weight of ours (layouts of this package):
 * - conv, weight [K, C, KH, KW] (Keras' Conv2D kernel is [KH, KW, C, K]): fan_in = C·KH·KW,
 *   fan_out = K·KH·KW;
 * - local, weight [OH, OW, K, C, KH, KW] (Keras' LocallyConnected2D kernel, default implementation 1,
 *   is [OH·OW, KH·KW·C, K], whose leading dimension counts as receptive field): fan_in = OH·OW·KH·KW·C,
 *   fan_out = OH·OW·K;
 * - dense, weight [O, I] (Keras' Dense kernel is [I, O]): fan_in = I, fan_out = O.
 */
export function kerasFans(kind: KernelKind, weightShape: readonly number[]): Fans {
  const rank = { conv: 4, local: 6, dense: 2 }[kind];
  if (rank === undefined) throw new RangeError(`kerasFans: unknown kernel kind ${JSON.stringify(kind)}`);
  if (weightShape.length !== rank || !weightShape.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new RangeError(`kerasFans: a ${kind} weight needs ${rank} positive dimensions, got [${weightShape}]`);
  }
  if (kind === 'dense') return { fanIn: weightShape[1], fanOut: weightShape[0] };
  const [k, c, kh, kw] = weightShape.slice(-4);
  const positions = kind === 'local' ? weightShape[0] * weightShape[1] : 1;
  const receptiveField = kind === 'local' ? positions * kh * kw : kh * kw;
  return { fanIn: receptiveField * c, fanOut: (kind === 'local' ? positions : kh * kw) * k };
}

/** The Glorot-uniform bound sqrt(6 / (fan_in + fan_out)): values are drawn from [-limit, limit]. */
export function glorotLimit({ fanIn, fanOut }: Fans): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * `count` values uniform in (-limit, limit), from Philox-4x32-10 keyed by (seed, stream) in
 * {@link INIT_DOMAIN}: draw number g gives elements 4g .. 4g+3, each 32-bit word k mapped to
 * limit·(2·(k + 0.5)/2^32 − 1) in double, then rounded to float32. Deterministic: a (seed, stream)
 * pair always gives the same array.
 *
 * @param seed 32-bit unsigned integer
 * @param stream 32-bit unsigned integer, e.g. the layer's index in the network, so layers differ
 */
export function uniformArray(count: number, limit: number, seed: number, stream: number): Float32Array {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`uniformArray: count must be an integer >= 0, got ${count}`);
  }
  if (!Number.isFinite(limit) || limit < 0) {
    throw new RangeError(`uniformArray: limit must be finite and >= 0, got ${limit}`);
  }
  checkWord(seed, 'seed');
  checkWord(stream, 'stream');
  const words = philoxWords(new Uint32Array(count), seed, stream, INIT_DOMAIN);
  const out = new Float32Array(count);
  const scale = 2 * limit * TWO_POW_MINUS_32;
  for (let i = 0; i < count; i++) out[i] = (words[i] + 0.5) * scale - limit;
  return out;
}

function checkWord(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${name} must be an integer in [0, 2^32), got ${value}`);
  }
}

/**
 * A Glorot-uniform weight of the given kind and shape (our layouts, see {@link kerasFans}), as a host
 * array in the weight's memory order, seeded by (seed, stream).
 */
export function glorotUniform(
  kind: KernelKind,
  weightShape: readonly number[],
  seed: number,
  stream: number,
): Float32Array {
  return uniformArray(product(weightShape), glorotLimit(kerasFans(kind, weightShape)), seed, stream);
}
