// Fresh random inputs for numerical tests. Each test file draws a new seed per run and prints it
// in failure messages, so a failure can be replayed with WSR_TEST_SEED=<seed>.

/** mulberry32: a small, fast, seeded generator returning floats in [0, 1). */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function testSeed(): number {
  const fromEnv = process.env.WSR_TEST_SEED;
  return fromEnv ? Number(fromEnv) : Math.floor(Math.random() * 2 ** 31);
}

export interface Random {
  seed: number;
  next(): number;
  /** Float32Array of uniform values in [lo, hi). */
  uniform(n: number, lo?: number, hi?: number): Float32Array;
  /** Float32Array of standard normal values times `scale`. */
  normal(n: number, scale?: number): Float32Array;
  int(lo: number, hi: number): number;
}

export function random(seed = testSeed()): Random {
  const next = makeRng(seed);
  return {
    seed,
    next,
    uniform(n, lo = -1, hi = 1) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
      return out;
    },
    normal(n, scale = 1) {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const u = Math.max(next(), 1e-12);
        out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
      }
      return out;
    },
    int(lo, hi) {
      return lo + Math.floor(next() * (hi - lo + 1));
    },
  };
}
