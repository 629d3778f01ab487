// Benchmark inputs: seeded uniform values in [-1, 1) (never zeros, which can hide bad indexing
// and run faster than real data).

/** `n` floats from a 32-bit xorshift generator, uniform in [-scale, scale). */
export function uniformArray(n: number, seed: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = (s / 4294967296) * 2 * scale - scale;
  }
  return out;
}

/** `n` class labels below `classes`. */
export function labelArray(n: number, classes: number, seed: number): Uint8Array {
  const u = uniformArray(n, seed);
  return Uint8Array.from(u, (v) => Math.min(classes - 1, Math.floor(((v + 1) / 2) * classes)));
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
