// Moving data between wsr-native's layouts (NCHW activations; LC weight [OH,OW,K,C,KH,KW]) and the
// ones TensorFlow.js and Keras use (NHWC; LC kernel [OH·OW, KH·KW·C, K]). Used to check that the
// baselines compute what ours do; the timings use each side's own layout.

/** Calls visit(nchw, nhwc) with the index of every element in both layouts. */
function forEachActivationIndex(n: number, c: number, h: number, w: number, visit: (nchw: number, nhwc: number) => void): void {
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) visit(((i * c + ch) * h + y) * w + x, ((i * h + y) * w + x) * c + ch);
}

/** [N, C, H, W] → [N, H, W, C]. */
export function nchwToNhwc(a: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(a.length);
  forEachActivationIndex(n, c, h, w, (nchw, nhwc) => (out[nhwc] = a[nchw]));
  return out;
}

/** [N, H, W, C] → [N, C, H, W]. */
export function nhwcToNchw(a: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(a.length);
  forEachActivationIndex(n, c, h, w, (nchw, nhwc) => (out[nchw] = a[nhwc]));
  return out;
}

export interface BankDims {
  /** Banks (1 for a conv weight, OH·OW for an LC weight). */
  banks: number;
  k: number;
  c: number;
  kh: number;
  kw: number;
}

/** Calls visit(ours, tfjs) with the index of every weight in both layouts. */
function forEachBankIndex(d: BankDims, visit: (ours: number, tfjs: number) => void): void {
  const size = d.k * d.c * d.kh * d.kw;
  for (let p = 0; p < d.banks; p++)
    for (let k = 0; k < d.k; k++)
      for (let ch = 0; ch < d.c; ch++)
        for (let y = 0; y < d.kh; y++)
          for (let x = 0; x < d.kw; x++) {
            visit(p * size + ((k * d.c + ch) * d.kh + y) * d.kw + x, p * size + ((y * d.kw + x) * d.c + ch) * d.k + k);
          }
}

/** Ours [banks, K, C, KH, KW] → Keras/tfjs [banks, KH, KW, C, K] (a conv filter for banks = 1). */
export function bankToTfjs(a: Float32Array, d: BankDims): Float32Array {
  const out = new Float32Array(a.length);
  forEachBankIndex(d, (ours, tfjs) => (out[tfjs] = a[ours]));
  return out;
}

/** Keras/tfjs [banks, KH, KW, C, K] → ours [banks, K, C, KH, KW]. */
export function bankFromTfjs(a: Float32Array, d: BankDims): Float32Array {
  const out = new Float32Array(a.length);
  forEachBankIndex(d, (ours, tfjs) => (out[ours] = a[tfjs]));
  return out;
}
