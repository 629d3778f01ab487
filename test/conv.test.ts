import { Tensor, numThreads, setNumThreads } from '../src';
import { untypedAddon } from './helpers/untypedAddon';
import {
  Conv2dOptions,
  conv2d,
  conv2dBackward,
  conv2dBackwardInputInto,
  conv2dBackwardWeightInto,
  conv2dForwardInto,
  conv2dGeometry,
  conv2dOutputShape,
} from '../src/ops/conv';
import { Padding, Stride, WindowGeometry, resolvePadding, resolveStride } from '../src/ops/geometry';
import { dot, expectClose, finiteDifferences, sampleIndices } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';
import { Random, random } from './helpers/random';

// ---- float64 reference -----------------------------------------------------------------------------

interface Case {
  name: string;
  shape: { n: number; c: number; h: number; w: number; k: number; kh: number; kw: number };
  options: Conv2dOptions;
  bias: boolean;
  /** [OH, OW] worked out by hand, to check the shape helper independently of the reference. */
  expectedOutput: [number, number];
}

/** A case's window geometry as conv2dGeometry resolves it, with the output shape conv2dOutputShape gives. */
interface Geometry extends WindowGeometry {
  outputShape: [number, number, number, number];
}

function geometryOf(c: Case): Geometry {
  const { xShape, wShape } = shapesOf(c);
  return { ...conv2dGeometry(xShape, wShape, c.options), outputShape: conv2dOutputShape(xShape, wShape, c.options) };
}

// Calls visit(yi, xi, wi, k) for every (output, input, weight) triple that one multiply-add joins.
function forEachTap(c: Case, g: Geometry, visit: (yi: number, xi: number, wi: number, k: number) => void): void {
  const { n, c: ch, h, w, k, kh, kw } = c.shape;
  const [, , oh, ow] = g.outputShape;
  for (let img = 0; img < n; img++)
    for (let ko = 0; ko < k; ko++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          const yi = ((img * k + ko) * oh + oy) * ow + ox;
          for (let ci = 0; ci < ch; ci++)
            for (let i = 0; i < kh; i++) {
              const iy = oy * g.stride[0] - g.padding.top + i;
              if (iy < 0 || iy >= h) continue;
              for (let j = 0; j < kw; j++) {
                const ix = ox * g.stride[1] - g.padding.left + j;
                if (ix < 0 || ix >= w) continue;
                visit(yi, ((img * ch + ci) * h + iy) * w + ix, ((ko * ch + ci) * kh + i) * kw + j, ko);
              }
            }
        }
}

function outputSize(g: Geometry): number {
  return g.outputShape.reduce((a, b) => a * b, 1);
}

function refForward(c: Case, g: Geometry, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number> | null): Float64Array {
  const y = new Float64Array(outputSize(g));
  const [n, k, oh, ow] = g.outputShape;
  if (b) for (let i = 0; i < n * k * oh * ow; i++) y[i] = b[Math.floor(i / (oh * ow)) % k];
  forEachTap(c, g, (yi, xi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

function refBackwardInput(c: Case, g: Geometry, dy: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const { n, c: ch, h, w: width } = c.shape;
  const dx = new Float64Array(n * ch * h * width);
  forEachTap(c, g, (yi, xi, wi) => (dx[xi] += dy[yi] * w[wi]));
  return dx;
}

function refBackwardWeight(c: Case, g: Geometry, x: ArrayLike<number>, dy: ArrayLike<number>): { dw: Float64Array; db: Float64Array } {
  const { c: ch, k, kh, kw } = c.shape;
  const dw = new Float64Array(k * ch * kh * kw);
  const db = new Float64Array(k);
  forEachTap(c, g, (yi, xi, wi) => (dw[wi] += dy[yi] * x[xi]));
  const [n, , oh, ow] = g.outputShape;
  for (let i = 0; i < n * k * oh * ow; i++) db[Math.floor(i / (oh * ow)) % k] += dy[i];
  return { dw, db };
}

// ---- cases -----------------------------------------------------------------------------------------

function makeCase(
  name: string,
  dims: [n: number, c: number, h: number, w: number, k: number, kh: number, kw: number],
  options: Conv2dOptions,
  expectedOutput: [number, number],
  bias = true,
): Case {
  const [n, c, h, w, k, kh, kw] = dims;
  return { name, shape: { n, c, h, w, k, kh, kw }, options, bias, expectedOutput };
}

const cases: Case[] = [
  makeCase('3x3 valid', [2, 3, 7, 6, 4, 3, 3], {}, [5, 4]),
  // 'same' with stride 2: rows pad 0 above and 1 below (total 1), columns 1 and 1.
  makeCase("'same' stride 2 (asymmetric)", [2, 3, 8, 7, 5, 3, 3], { stride: 2, padding: 'same' }, [4, 4]),
  makeCase('stride 3 > 2x2 kernel', [2, 2, 9, 10, 3, 2, 2], { stride: 3 }, [3, 3]),
  makeCase('strides [3, 4] > kernel, no bias', [2, 3, 8, 11, 2, 2, 3], { stride: [3, 4] }, [3, 3], false),
  makeCase('1x1 stride 1 (no im2col)', [2, 17, 4, 5, 5, 1, 1], {}, [4, 5]),
  makeCase('1x1 stride 2', [2, 3, 5, 6, 4, 1, 1], { stride: 2 }, [3, 3]),
  makeCase('batch 1, padded', [1, 3, 6, 5, 2, 3, 2], { padding: [1, 0, 1, 1] }, [5, 6]),
  makeCase('1 channel in and out', [3, 1, 6, 6, 1, 3, 3], { padding: 1 }, [6, 6]),
  makeCase('17 channels', [2, 17, 5, 5, 17, 3, 3], { padding: 'same' }, [5, 5]),
  makeCase('non-square input and kernel', [2, 3, 5, 11, 3, 2, 5], { stride: [1, 2], padding: [1, 0, 2, 3] }, [5, 6]),
  makeCase('many images per GEMM', [9, 4, 5, 5, 6, 3, 3], {}, [3, 3]),
  makeCase('MNIST conv1 (3x3/2, 28 -> 13)', [2, 1, 28, 28, 4, 3, 3], { stride: 2 }, [13, 13]),
];

interface Inputs {
  x: Float32Array;
  w: Float32Array;
  b: Float32Array | null;
  dy: Float32Array;
}

function inputsFor(c: Case, g: Geometry, rnd: Random): Inputs {
  const { n, c: ch, h, w, k, kh, kw } = c.shape;
  return {
    x: rnd.uniform(n * ch * h * w),
    w: rnd.uniform(k * ch * kh * kw),
    b: c.bias ? rnd.uniform(k) : null,
    dy: rnd.uniform(outputSize(g)),
  };
}

function shapesOf(c: Case): { xShape: number[]; wShape: number[] } {
  const { n, c: ch, h, w, k, kh, kw } = c.shape;
  return { xShape: [n, ch, h, w], wShape: [k, ch, kh, kw] };
}

// Runs every op of the family on `device`; returns host copies of the results.
function runNative(c: Case, inputs: Inputs, device: string) {
  const { xShape, wShape } = shapesOf(c);
  const x = Tensor.from(inputs.x, xShape, { device });
  const w = Tensor.from(inputs.w, wShape, { device });
  const b = inputs.b ? Tensor.from(inputs.b, [c.shape.k], { device }) : null;
  const y = conv2d(x, w, b, c.options);
  const dy = Tensor.from(inputs.dy, y.shape, { device });
  const grads = conv2dBackward(x, w, dy, c.options);
  const result = {
    yShape: y.shape,
    device: y.device,
    y: y.toArray() as Float32Array,
    dx: grads.dx!.toArray() as Float32Array,
    dw: grads.dw.toArray() as Float32Array,
    db: grads.db.toArray() as Float32Array,
  };
  for (const t of [x, w, b, y, dy, grads.dx!, grads.dw, grads.db]) t?.dispose();
  return result;
}

const tol = { rtol: 1e-4, atol: 1e-4 };

// ---- tests -----------------------------------------------------------------------------------------

describe('conv2d shapes', () => {
  test.each(cases)('$name: output shape', (c) => {
    const { xShape, wShape } = shapesOf(c);
    expect(conv2dOutputShape(xShape, wShape, c.options)).toEqual([c.shape.n, c.shape.k, ...c.expectedOutput]);
  });

  test("'same' padding follows TensorFlow, putting the odd row and column at the bottom and right", () => {
    // [top, bottom, left, right] of the shared window geometry, as conv2dGeometry resolves it.
    const pads = (padding: Padding, input: [number, number], kernel: [number, number], stride: Stride = 1) => {
      const p = resolvePadding(padding, input, kernel, resolveStride(stride));
      return [p.top, p.bottom, p.left, p.right];
    };
    expect(pads('same', [8, 7], [3, 3], 2)).toEqual([0, 1, 1, 1]);
    expect(pads('same', [32, 32], [5, 5], 2)).toEqual([1, 2, 1, 2]);
    expect(pads('same', [5, 5], [3, 3], 1)).toEqual([1, 1, 1, 1]);
    expect(pads('same', [4, 6], [2, 4], 1)).toEqual([0, 1, 1, 2]);
    expect(pads('same', [9, 9], [1, 1], 4)).toEqual([0, 0, 0, 0]); // stride > kernel: none needed
    expect(pads('same', [10, 10], [3, 3], [3, 4])).toEqual([1, 1, 0, 1]);
    expect(pads('valid', [8, 8], [3, 3])).toEqual([0, 0, 0, 0]);
    expect(pads(2, [8, 8], [3, 3])).toEqual([2, 2, 2, 2]);
    expect(pads([2, 0, 1, 3], [8, 8], [3, 4])).toEqual([2, 0, 1, 3]);
    // 'same' keeps ceil(H / stride) rows.
    expect(conv2dOutputShape([1, 1, 9, 10], [1, 1, 4, 3], { stride: [2, 3], padding: 'same' })).toEqual([1, 1, 5, 4]);
  });

  test('the paper layers have the published output sizes', () => {
    expect(conv2dOutputShape([128, 3, 32, 32], [64, 3, 5, 5], { stride: 2 })).toEqual([128, 64, 14, 14]);
    expect(conv2dOutputShape([128, 64, 14, 14], [128, 64, 5, 5], { stride: 2 })).toEqual([128, 128, 5, 5]);
    expect(conv2dOutputShape([128, 128, 5, 5], [256, 128, 3, 3], { stride: 1 })).toEqual([128, 256, 3, 3]);
    expect(conv2dOutputShape([256, 1, 28, 28], [32, 1, 3, 3], { stride: 2 })).toEqual([256, 32, 13, 13]);
    expect(conv2dOutputShape([256, 32, 13, 13], [64, 32, 3, 3], { stride: 2 })).toEqual([256, 64, 6, 6]);
    expect(conv2dOutputShape([256, 64, 6, 6], [128, 64, 3, 3], { stride: 1 })).toEqual([256, 128, 4, 4]);
  });
});

describe.each(testDevices)('conv2d on %s', (device) => {
  test.each(cases)('$name: forward and gradients match the float64 reference', (c) => {
    const rnd = random();
    const what = (op: string) => `${c.name} ${op} on ${device} (seed ${rnd.seed})`;
    const { xShape, wShape } = shapesOf(c);
    const g = geometryOf(c);
    const inputs = inputsFor(c, g, rnd);
    const out = runNative(c, inputs, device);
    expect(out.yShape).toEqual(g.outputShape);
    expect(out.device).toBe(device);
    expectClose(out.y, refForward(c, g, inputs.x, inputs.w, inputs.b), what('forward'), tol);
    expectClose(out.dx, refBackwardInput(c, g, inputs.dy, inputs.w), what('dx'), tol);
    const ref = refBackwardWeight(c, g, inputs.x, inputs.dy);
    expectClose(out.dw, ref.dw, what('dw'), tol);
    expectClose(out.db, ref.db, what('db'), tol);
  });

  test('conv2d writes into a given output and conv2dBackward can skip dx', () => {
    const rnd = random();
    const c = cases[1];
    const { xShape, wShape } = shapesOf(c);
    const g = geometryOf(c);
    const inputs = inputsFor(c, g, rnd);
    const x = Tensor.from(inputs.x, xShape, { device });
    const w = Tensor.from(inputs.w, wShape, { device });
    const b = Tensor.from(inputs.b!, [c.shape.k], { device });
    const out = Tensor.from(new Float32Array(outputSize(g)).fill(NaN), g.outputShape, { device });
    expect(conv2d(x, w, b, c.options, out)).toBe(out);
    expectClose(out.toArray(), refForward(c, g, inputs.x, inputs.w, inputs.b), `forward into out (seed ${rnd.seed})`, tol);
    const dy = Tensor.from(inputs.dy, g.outputShape, { device });
    const grads = conv2dBackward(x, w, dy, c.options, { needInput: false });
    expect(grads.dx).toBeUndefined();
    expectClose(grads.dw.toArray(), refBackwardWeight(c, g, inputs.x, inputs.dy).dw, `dw (seed ${rnd.seed})`, tol);
    // The lower-level forms overwrite their outputs (NaN garbage must not leak through).
    const dx = Tensor.from(new Float32Array(inputs.x.length).fill(NaN), xShape, { device });
    conv2dBackwardInputInto(dy, w, dx, c.options);
    expectClose(dx.toArray(), refBackwardInput(c, g, inputs.dy, inputs.w), `dx into (seed ${rnd.seed})`, tol);
    const dw = Tensor.from(new Float32Array(inputs.w.length).fill(NaN), wShape, { device });
    conv2dBackwardWeightInto(x, dy, dw, null, c.options);
    expectClose(dw.toArray(), refBackwardWeight(c, g, inputs.x, inputs.dy).dw, `dw into (seed ${rnd.seed})`, tol);
    const y2 = Tensor.from(new Float32Array(outputSize(g)).fill(NaN), g.outputShape, { device });
    conv2dForwardInto(x, w, null, y2, c.options);
    expectClose(y2.toArray(), refForward(c, g, inputs.x, inputs.w, null), `forward into, no bias (seed ${rnd.seed})`, tol);
    for (const t of [x, w, b, out, dy, grads.dw, grads.db, dx, dw, y2]) t.dispose();
  });
});

describe.each(testDevices)('conv2d with an empty batch on %s', (device) => {
  test('gives an empty output and zero weight and bias gradients', () => {
    const x = Tensor.zeros([0, 3, 6, 6], { device });
    const w = Tensor.from(random().uniform(4 * 3 * 3 * 3), [4, 3, 3, 3], { device });
    const y = conv2d(x, w, null, { padding: 'same' });
    expect(y.shape).toEqual([0, 4, 6, 6]);
    const grads = conv2dBackward(x, w, y, { padding: 'same' });
    expect(grads.dx!.shape).toEqual([0, 3, 6, 6]);
    expect(Array.from(grads.dw.toArray())).toEqual(new Array(108).fill(0));
    expect(Array.from(grads.db.toArray())).toEqual([0, 0, 0, 0]);
    for (const t of [x, w, y, grads.dx!, grads.dw, grads.db]) t.dispose();
  });
});

describe('conv2d gradients against finite differences', () => {
  // The native gradients are checked against the analytic float64 reference above; here the reference
  // itself is checked against central differences of sum(y · g) for a random projection g.
  test.each(cases)('$name', (c) => {
    const rnd = random();
    const { xShape, wShape } = shapesOf(c);
    const g = geometryOf(c);
    const inputs = inputsFor(c, g, rnd);
    const x = Float64Array.from(inputs.x);
    const w = Float64Array.from(inputs.w);
    const b = Float64Array.from(inputs.b ?? new Float32Array(c.shape.k));
    const proj = inputs.dy; // dL/dy of L = sum(y · proj) is proj
    const loss = () => dot(refForward(c, g, x, w, b), proj);
    const ref = refBackwardWeight(c, g, x, proj);
    const checks: [string, Float64Array, Float64Array][] = [
      ['dx', x, refBackwardInput(c, g, proj, w)],
      ['dw', w, ref.dw],
      ['db', b, ref.db],
    ];
    for (const [name, param, analytic] of checks) {
      const idx = sampleIndices(param.length, 10, rnd.next);
      const numeric = finiteDifferences(loss, param, idx);
      expectClose(
        idx.map((i) => analytic[i]),
        numeric,
        `${c.name} ${name} vs finite differences (seed ${rnd.seed})`,
        { rtol: 1e-6, atol: 1e-6 },
      );
    }
  });
});

describe('conv2d on the CPU with different thread counts', () => {
  const original = numThreads();
  afterAll(() => setNumThreads(original));

  test.each([1, 2, 3])('%i thread(s): correct, and bitwise reproducible', (threads) => {
    setNumThreads(threads);
    // The last case is above cpu/parallel.h's kMinParallelFlops (1.2e7), so it takes the threaded
    // paths; the others run on the calling thread whatever the thread count.
    const threaded = makeCase('above the serial threshold', [8, 16, 16, 16, 32, 3, 3], { padding: 1 }, [16, 16]);
    for (const c of [cases[0], cases[6], cases[10], makeCase('batch 5', [5, 2, 6, 6, 3, 3, 3], { stride: 2, padding: 'same' }, [3, 3]), threaded]) {
      const rnd = random();
      const { xShape, wShape } = shapesOf(c);
      const g = geometryOf(c);
      const inputs = inputsFor(c, g, rnd);
      const first = runNative(c, inputs, 'cpu');
      const what = (op: string) => `${c.name} ${op} with ${threads} threads (seed ${rnd.seed})`;
      expectClose(first.y, refForward(c, g, inputs.x, inputs.w, inputs.b), what('forward'), tol);
      expectClose(first.dx, refBackwardInput(c, g, inputs.dy, inputs.w), what('dx'), tol);
      expectClose(first.dw, refBackwardWeight(c, g, inputs.x, inputs.dy).dw, what('dw'), tol);
      const second = runNative(c, inputs, 'cpu');
      expect(second.dw).toEqual(first.dw);
      expect(second.db).toEqual(first.db);
      expect(second.y).toEqual(first.y);
    }
  });
});

describeCuda('conv2d CPU/CUDA parity', () => {
  const parityCases = [
    ...cases,
    // Large enough for several tiles and a split weight-gradient reduction on the GPU.
    makeCase('CIFAR conv1 at batch 8', [8, 3, 32, 32, 64, 5, 5], { stride: 2 }, [14, 14]),
    makeCase('CIFAR conv2 at batch 4', [4, 64, 14, 14, 128, 5, 5], { stride: 2 }, [5, 5]),
    makeCase('CIFAR conv3 at batch 4', [4, 128, 5, 5, 256, 3, 3], {}, [3, 3]),
    makeCase('stride 3 with same padding', [3, 5, 17, 13, 70, 4, 5], { stride: 3, padding: 'same' }, [6, 5]),
  ];
  test.each(parityCases)('$name: every op agrees on CPU and CUDA', (c) => {
    const rnd = random();
    const { xShape, wShape } = shapesOf(c);
    const g = geometryOf(c);
    const inputs = inputsFor(c, g, rnd);
    const cpu = runNative(c, inputs, 'cpu');
    const gpu = runNative(c, inputs, 'cuda:0');
    for (const key of ['y', 'dx', 'dw', 'db'] as const) {
      expectClose(gpu[key], cpu[key], `${c.name} ${key} cuda vs cpu (seed ${rnd.seed})`, tol);
    }
    const again = runNative(c, inputs, 'cuda:0');
    expect(again.dw).toEqual(gpu.dw); // the split reduction adds partial sums in a fixed order
    expect(again.db).toEqual(gpu.db);
  });

  test('tensors on different devices are rejected', () => {
    const x = Tensor.zeros([1, 1, 4, 4], { device: 'cpu' });
    const w = Tensor.zeros([1, 1, 3, 3], { device: 'cuda:0' });
    expect(() => conv2d(x, w, null)).toThrow(/conv2dForward: w is on cuda:0 but x is on cpu/);
    x.dispose();
    w.dispose();
  });
});

describe('conv2d rejects bad input', () => {
  interface Args {
    x: Tensor;
    w: Tensor;
    b: Tensor;
    y: Tensor;
    dy: Tensor;
    dx: Tensor;
    dw: Tensor;
    db: Tensor;
  }
  // x [2,3,7,6] * w [4,3,3,3] -> y [2,4,5,4]
  function make(): Args {
    return {
      x: Tensor.zeros([2, 3, 7, 6], { device: 'cpu' }),
      w: Tensor.zeros([4, 3, 3, 3], { device: 'cpu' }),
      b: Tensor.zeros([4], { device: 'cpu' }),
      y: Tensor.zeros([2, 4, 5, 4], { device: 'cpu' }),
      dy: Tensor.zeros([2, 4, 5, 4], { device: 'cpu' }),
      dx: Tensor.zeros([2, 3, 7, 6], { device: 'cpu' }),
      dw: Tensor.zeros([4, 3, 3, 3], { device: 'cpu' }),
      db: Tensor.zeros([4], { device: 'cpu' }),
    };
  }
  const addon = untypedAddon;
  const valid = [1, 1, 0, 0, 0, 0];
  let t: Args;
  beforeEach(() => (t = make()));
  afterEach(() => Object.values(t).forEach((v) => v.disposed || v.dispose()));

  test('the valid call succeeds (the tests below change one thing each)', () => {
    expect(() => addon().conv2dForward(t.x.native, t.w.native, t.b.native, t.y.native, ...valid)).not.toThrow();
    expect(() => addon().conv2dBackwardInput(t.dy.native, t.w.native, t.dx.native, ...valid)).not.toThrow();
    expect(() => addon().conv2dBackwardWeight(t.x.native, t.dy.native, t.dw.native, t.db.native, ...valid)).not.toThrow();
    expect(() => addon().conv2dBackwardWeight(t.x.native, t.dy.native, t.dw.native, null, ...valid)).not.toThrow();
  });

  test('mismatched channel counts', () => {
    const w = Tensor.zeros([4, 2, 3, 3], { device: 'cpu' });
    expect(() => addon().conv2dForward(t.x.native, w.native, null, t.y.native, ...valid)).toThrow(
      /^conv2dForward: w has 2 input channels but x has 3: w must have shape \[4,3,3,3\], got \[4,2,3,3\]/,
    );
    expect(() => addon().conv2dBackwardInput(t.dy.native, w.native, t.dx.native, ...valid)).toThrow(
      /^conv2dBackwardInput: w has 2 input channels but dx has 3/,
    );
    expect(() => conv2d(t.x, w, null)).toThrow(/^conv2d: the weight has 2 input channels but the input has 3/);
    expect(() => conv2dBackward(t.x, w, t.dy)).toThrow(/^conv2dBackward: the weight has 2 input channels/);
    w.dispose();
  });

  test('wrong output and gradient shapes', () => {
    const y = Tensor.zeros([2, 4, 5, 5], { device: 'cpu' });
    expect(() => addon().conv2dForward(t.x.native, t.w.native, null, y.native, ...valid)).toThrow(
      /^conv2dForward: y must have shape \[2,4,5,4\], got \[2,4,5,5\]/,
    );
    expect(() => conv2d(t.x, t.w, t.b, {}, y)).toThrow(/^conv2dForward: y must have shape \[2,4,5,4\]/);
    expect(() => addon().conv2dBackwardInput(y.native, t.w.native, t.dx.native, ...valid)).toThrow(
      /^conv2dBackwardInput: dy must have shape \[2,4,5,4\], got \[2,4,5,5\]/,
    );
    expect(() => addon().conv2dBackwardWeight(t.x.native, y.native, t.dw.native, null, ...valid)).toThrow(
      /^conv2dBackwardWeight: dy must have shape \[2,4,5,4\]/,
    );
    const b = Tensor.zeros([5], { device: 'cpu' });
    expect(() => addon().conv2dForward(t.x.native, t.w.native, b.native, t.y.native, ...valid)).toThrow(
      /^conv2dForward: b must have shape \[4\], got \[5\]/,
    );
    expect(() => addon().conv2dBackwardWeight(t.x.native, t.dy.native, t.dw.native, b.native, ...valid)).toThrow(
      /^conv2dBackwardWeight: db must have shape \[4\], got \[5\]/,
    );
    const flat = Tensor.zeros([2, 3, 42], { device: 'cpu' });
    expect(() => addon().conv2dForward(flat.native, t.w.native, null, t.y.native, ...valid)).toThrow(
      /^conv2dForward: x must have 4 dimensions \(N,C,H,W\), got shape \[2,3,42\]/,
    );
    for (const v of [y, b, flat]) v.dispose();
  });

  test('padding not smaller than the kernel, or negative', () => {
    expect(() => addon().conv2dForward(t.x.native, t.w.native, null, t.y.native, 1, 1, 3, 0, 0, 0)).toThrow(
      /^conv2dForward: padTop must be less than the kernel height 3, got 3/,
    );
    expect(() => addon().conv2dBackwardWeight(t.x.native, t.dy.native, t.dw.native, null, 1, 1, 0, 0, 0, 4)).toThrow(
      /^conv2dBackwardWeight: padRight must be less than the kernel width 3, got 4/,
    );
    expect(() => addon().conv2dBackwardInput(t.dy.native, t.w.native, t.dx.native, 1, 1, 0, 0, -1, 0)).toThrow(
      /^conv2dBackwardInput: padLeft must be in \[0, 2147483647\], got -1/,
    );
    expect(() => conv2d(t.x, t.w, null, { padding: 3 })).toThrow(/^conv2d: padding top must be less than the kernel height 3, got 3/);
    expect(() => conv2d(t.x, t.w, null, { padding: [0, 0, 0, -1] })).toThrow(/^conv2d: padding right must be an integer >= 0, got -1/);
    expect(() => conv2d(t.x, t.w, null, { padding: 'full' as 'same' })).toThrow(/^conv2d: padding must be/);
  });

  test('an input smaller than the kernel', () => {
    const x = Tensor.zeros([1, 3, 2, 6], { device: 'cpu' });
    const y = Tensor.zeros([1, 4, 1, 4], { device: 'cpu' });
    expect(() => addon().conv2dForward(x.native, t.w.native, null, y.native, ...valid)).toThrow(
      /^conv2dForward: the padded x height 2\+0\+0 = 2 is smaller than the kernel height 3/,
    );
    expect(() => conv2d(x, t.w, null)).toThrow(/^conv2d: the padded input 2x6 is smaller than the kernel 3x3/);
    x.dispose();
    y.dispose();
  });

  test('a geometry that does not fit the tensors: the binding resolves nothing, it checks what it is given', () => {
    // One row of padding at the top and at the bottom gives 7 output rows, not y's 5.
    expect(() => addon().conv2dForward(t.x.native, t.w.native, null, t.y.native, 1, 1, 1, 1, 0, 0)).toThrow(
      /^conv2dForward: y must have shape \[2,4,7,4\], got \[2,4,5,4\]/,
    );
    // Stride 2 fits 3 x 2 windows into x [2,3,7,6]: dy [2,4,5,4] would be read past them.
    expect(() => addon().conv2dBackwardWeight(t.x.native, t.dy.native, t.dw.native, null, 2, 2, 0, 0, 0, 0)).toThrow(
      /^conv2dBackwardWeight: dy must have shape \[2,4,3,2\], got \[2,4,5,4\]/,
    );
  });

  test('stride 0, NaN or fractional', () => {
    expect(() => addon().conv2dForward(t.x.native, t.w.native, null, t.y.native, 0, 1, 0, 0, 0, 0)).toThrow(
      /^conv2dForward: strideH must be in \[1, 2147483647\], got 0/,
    );
    expect(() => addon().conv2dForward(t.x.native, t.w.native, null, t.y.native, 1, NaN, 0, 0, 0, 0)).toThrow(
      /^conv2dForward: strideW must be an integer, got NaN/,
    );
    expect(() => addon().conv2dBackwardWeight(t.x.native, t.dy.native, t.dw.native, null, 1.5, 1, 0, 0, 0, 0)).toThrow(
      /^conv2dBackwardWeight: strideH must be an integer, got 1.5/,
    );
    expect(() => conv2d(t.x, t.w, null, { stride: 0 })).toThrow(/^conv2d: stride must be an integer >= 1, got 0/);
    expect(() => conv2d(t.x, t.w, null, { stride: NaN })).toThrow(/^conv2d: stride must be .* got NaN/);
    expect(() => conv2dBackward(t.x, t.w, t.dy, { stride: [1, 0] })).toThrow(/^conv2dBackward: stride\[1\] must be an integer >= 1, got 0/);
  });

  test('a disposed tensor', () => {
    t.x.dispose();
    expect(() => addon().conv2dForward(t.x.native, t.w.native, null, t.y.native, ...valid)).toThrow(
      /^conv2dForward: x is a disposed tensor/,
    );
    expect(() => conv2d(t.x, t.w, null)).toThrow(/^conv2d: x is a disposed tensor/);
    t.dy.dispose();
    expect(() => addon().conv2dBackwardInput(t.dy.native, t.w.native, t.dx.native, ...valid)).toThrow(
      /^conv2dBackwardInput: dy is a disposed tensor/,
    );
    expect(() => conv2dBackwardInputInto(t.dy, t.w, t.dx)).toThrow(/^conv2dBackward: dy is a disposed tensor/);
  });

  test('a uint8 tensor', () => {
    const x8 = Tensor.zeros([2, 3, 7, 6], { device: 'cpu', dtype: 'uint8' });
    expect(() => addon().conv2dForward(x8.native, t.w.native, null, t.y.native, ...valid)).toThrow(
      /^conv2dForward: x must be float32, got uint8/,
    );
    expect(() => conv2d(x8 as unknown as Tensor, t.w, null)).toThrow(/^conv2dForward: x must be float32, got uint8/);
    const db8 = Tensor.zeros([4], { device: 'cpu', dtype: 'uint8' });
    expect(() => addon().conv2dBackwardWeight(t.x.native, t.dy.native, t.dw.native, db8.native, ...valid)).toThrow(
      /^conv2dBackwardWeight: db must be float32, got uint8/,
    );
    x8.dispose();
    db8.dispose();
  });

  test('outputs that share memory with inputs, missing arguments and non-tensors', () => {
    // y [2,3,7,6] of a 1x1 convolution with 3 filters has x's shape: pass x itself as the output.
    const w1 = Tensor.zeros([3, 3, 1, 1], { device: 'cpu' });
    expect(() => addon().conv2dForward(t.x.native, w1.native, null, t.x.native, ...valid)).toThrow(
      /^conv2dForward: y and x must not share memory/,
    );
    // A 3x3 input and kernel give a single output: small shapes that can alias one another.
    const x = Tensor.zeros([1, 1, 3, 3], { device: 'cpu' });
    const w = Tensor.zeros([1, 1, 3, 3], { device: 'cpu' });
    const dy = Tensor.zeros([1, 1, 1, 1], { device: 'cpu' });
    const dyView = dy.reshape([1]);
    expect(() => addon().conv2dBackwardInput(dy.native, w.native, w.native, ...valid)).toThrow(
      /^conv2dBackwardInput: dx and w must not share memory/,
    );
    expect(() => addon().conv2dBackwardWeight(x.native, dy.native, x.native, null, ...valid)).toThrow(
      /^conv2dBackwardWeight: dw and x must not share memory/,
    );
    expect(() => addon().conv2dBackwardWeight(x.native, dy.native, w.native, dyView.native, ...valid)).toThrow(
      /^conv2dBackwardWeight: db and dy must not share memory/,
    );
    expect(() => addon().conv2dForward(t.x.native, t.w.native, null)).toThrow(/^conv2dForward: expected 10 arguments, got 3/);
    expect(() => addon().conv2dForward(t.x.native, [1, 2], null, t.y.native, ...valid)).toThrow(
      /^conv2dForward: w must be a tensor, got an array/,
    );
    expect(() => conv2d(t.x, undefined as unknown as Tensor, null)).toThrow(/^conv2d: w must be a Tensor, got undefined/);
    for (const v of [w1, x, w, dy, dyView]) v.dispose();
  });
});
