// Float64 references of the locally connected layer (and of the convolution with the same geometry),
// shared by the tests of the ops built on it (test/local.test.ts, test/lowrank.test.ts).
// Layouts: x [N,C,H,W], w [OH,OW,K,C,KH,KW], b [OH,OW,K], y [N,K,OH,OW].
import { Local2dOptions, local2dGeometry } from '../../src/ops/local';

/** The sizes of a layer: batch, channels, input height and width, filters, kernel height and width. */
export interface Sizes {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  kh: number;
  kw: number;
}

/** A layer's sizes with its resolved stride, leading padding and output grid. */
export interface Geom extends Sizes {
  sh: number;
  sw: number;
  pt: number;
  pl: number;
  oh: number;
  ow: number;
}

/** A test case: sizes, options, and the output grid worked out by hand. */
export interface Case extends Sizes {
  name: string;
  options: Local2dOptions;
  /** OH, OW worked out by hand. */
  out: [number, number];
  bias?: boolean;
}

export function geom(cs: Case): Geom {
  const g = local2dGeometry(cs.h, cs.w, cs.kh, cs.kw, cs.options);
  expect([g.outputHeight, g.outputWidth]).toEqual(cs.out);
  return {
    n: cs.n, c: cs.c, h: cs.h, w: cs.w, k: cs.k, kh: cs.kh, kw: cs.kw,
    sh: g.stride[0], sw: g.stride[1], pt: g.padding.top, pl: g.padding.left,
    oh: g.outputHeight, ow: g.outputWidth,
  };
}

export const positions = (g: Geom): number => g.oh * g.ow;
export const patchSize = (g: Geom): number => g.c * g.kh * g.kw;

/** Calls fn(n, k, p, c, ki, kj, xIndex) for every tap of every output that reads the input (not the padding). */
export function forEachTap(g: Geom, fn: (n: number, k: number, p: number, c: number, ki: number, kj: number, xi: number) => void): void {
  for (let n = 0; n < g.n; n++)
    for (let k = 0; k < g.k; k++)
      for (let oi = 0; oi < g.oh; oi++)
        for (let oj = 0; oj < g.ow; oj++)
          for (let c = 0; c < g.c; c++)
            for (let ki = 0; ki < g.kh; ki++)
              for (let kj = 0; kj < g.kw; kj++) {
                const ih = oi * g.sh - g.pt + ki;
                const iw = oj * g.sw - g.pl + kj;
                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                fn(n, k, oi * g.ow + oj, c, ki, kj, ((n * g.c + c) * g.h + ih) * g.w + iw);
              }
}

export const localIndex = (g: Geom, p: number, k: number, c: number, ki: number, kj: number): number =>
  (((p * g.k + k) * g.c + c) * g.kh + ki) * g.kw + kj;
export const outIndex = (g: Geom, n: number, k: number, p: number): number => (n * g.k + k) * positions(g) + p;

export function refLocal(g: Geom, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(g.n * g.k * positions(g));
  if (b) for (let n = 0; n < g.n; n++) for (let k = 0; k < g.k; k++) for (let p = 0; p < positions(g); p++) y[outIndex(g, n, k, p)] = b[p * g.k + k];
  forEachTap(g, (n, k, p, c, ki, kj, xi) => {
    y[outIndex(g, n, k, p)] += w[localIndex(g, p, k, c, ki, kj)] * x[xi];
  });
  return y;
}

/** A plain convolution (weight [K,C,KH,KW], bias [K]) with the same geometry. */
export function refConv(g: Geom, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(g.n * g.k * positions(g));
  forEachTap(g, (n, k, p, c, ki, kj, xi) => {
    y[outIndex(g, n, k, p)] += w[((k * g.c + c) * g.kh + ki) * g.kw + kj] * x[xi];
  });
  if (b) for (let i = 0; i < y.length; i++) y[i] += b[Math.floor(i / positions(g)) % g.k];
  return y;
}

/** Analytic gradients of sum(dy · y). */
export function refLocalBackward(g: Geom, x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>) {
  const dx = new Float64Array(g.n * g.c * g.h * g.w);
  const dw = new Float64Array(positions(g) * g.k * patchSize(g));
  const db = new Float64Array(positions(g) * g.k);
  for (let n = 0; n < g.n; n++) for (let k = 0; k < g.k; k++) for (let p = 0; p < positions(g); p++) db[p * g.k + k] += dy[outIndex(g, n, k, p)];
  forEachTap(g, (n, k, p, c, ki, kj, xi) => {
    const d = dy[outIndex(g, n, k, p)];
    const wi = localIndex(g, p, k, c, ki, kj);
    dx[xi] += d * w[wi];
    dw[wi] += d * x[xi];
  });
  return { dx, dw, db };
}
