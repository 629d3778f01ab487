// Data augmentation: each op against a float64 JavaScript reference that draws from the same
// counter-based generator (src/ops/augment_random.ts, itself checked against Random123's known
// answers and against Math.log/sin/cos), statistics of the noise, hand-worked cases, bad inputs,
// and CPU/CUDA parity.
import { Tensor, setNumThreads, numThreads } from '../src';
import {
  Augmentation,
  ROBUSTNESS_PERTURBATIONS,
  applyAugmentation,
  edgeNoise,
  gaussianNoise,
  logUniform,
  maxShift,
  normal4,
  philox4x32_10,
  quadrantSwap,
  rotate,
  rotationDegrees,
  sincosTurns,
  translate,
  translationShift,
  uniformBelow,
} from '../src/ops/augment';
import { untypedAddon } from './helpers/untypedAddon';
import { expectClose } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';
import { Random, random } from './helpers/random';

type Shape4 = [number, number, number, number];
const sizeOf = (s: Shape4): number => s[0] * s[1] * s[2] * s[3];

// Awkward shapes: batch 1, 1×1 images, one row, odd and non-square sizes, 1/3/17 channels, sizes
// that are not multiples of the generator's groups of four.
const SHAPES: Shape4[] = [
  [1, 1, 1, 1],
  [1, 1, 1, 7],
  [2, 3, 5, 7],
  [3, 1, 6, 4],
  [1, 17, 4, 9],
  [4, 3, 8, 8],
];

function seedWord(rnd: Random): number {
  return Math.floor(rnd.next() * 4294967296);
}

function pixels(rnd: Random, shape: Shape4): Float32Array {
  return rnd.uniform(sizeOf(shape), 0, 1);
}

// ---- float64 references ------------------------------------------------------------------------

function refGaussianNoise(x: Float32Array, sigma: number, seed: number, stream: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let g = 0; 4 * g < x.length; g++) {
    const z = normal4(seed, stream, g);
    for (let k = 0; k < 4 && 4 * g + k < x.length; k++) y[4 * g + k] = x[4 * g + k] + sigma * z[k];
  }
  return y;
}

function refEdgeNoise(x: Float32Array, s: Shape4, sigma: number, border: number, seed: number, stream: number): Float32Array {
  const [, , h, w] = s;
  const noisy = refGaussianNoise(x, sigma, seed, stream);
  const y = Float32Array.from(x);
  for (let e = 0; e < x.length; e++) {
    const i = Math.floor(e / w) % h;
    const j = e % w;
    if (i < border || j < border || i >= h - border || j >= w - border) y[e] = noisy[e];
  }
  return y;
}

const clamp = (v: number, size: number): number => Math.min(Math.max(v, 0), size - 1);

function refTranslate(x: Float32Array, s: Shape4, maxFraction: number, seed: number, stream: number): Float32Array {
  const [n, c, h, w] = s;
  const y = new Float32Array(x.length);
  for (let image = 0; image < n; image++) {
    const { dy, dx } = translationShift(seed, stream, image, h, w, maxFraction);
    for (let ch = 0; ch < c; ch++) {
      const plane = (image * c + ch) * h * w;
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) y[plane + i * w + j] = x[plane + clamp(i - dy, h) * w + clamp(j - dx, w)];
      }
    }
  }
  return y;
}

// Rotation by `degrees` of one plane, the arithmetic in the kernels' order (cpu/augment_math.h).
function refRotatePlane(src: ArrayLike<number>, h: number, w: number, degrees: number, dst: Float32Array, at: number): void {
  const [sin, cos] = sincosTurns(degrees / 360);
  const cy = (h - 1) * 0.5;
  const cx = (w - 1) * 0.5;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const dy = i - cy;
      const dx = j - cx;
      const sx = Math.min(Math.max(cx + (cos * dx - sin * dy), 0), w - 1);
      const sy = Math.min(Math.max(cy + (sin * dx + cos * dy), 0), h - 1);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, w - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      const fx = sx - x0;
      const fy = sy - y0;
      const gx = 1 - fx;
      const gy = 1 - fy;
      const top = gx * src[y0 * w + x0] + fx * src[y0 * w + x1];
      const bottom = gx * src[y1 * w + x0] + fx * src[y1 * w + x1];
      dst[at + i * w + j] = gy * top + fy * bottom;
    }
  }
}

function refRotate(x: Float32Array, s: Shape4, maxDegrees: number, seed: number, stream: number): Float32Array {
  const [n, c, h, w] = s;
  const y = new Float32Array(x.length);
  for (let image = 0; image < n; image++) {
    const degrees = rotationDegrees(seed, stream, image, maxDegrees);
    for (let ch = 0; ch < c; ch++) {
      const plane = (image * c + ch) * h * w;
      refRotatePlane(x.subarray(plane, plane + h * w), h, w, degrees, y, plane);
    }
  }
  return y;
}

function refQuadrantSwap(x: Float32Array, s: Shape4): Float32Array {
  const [n, c, h, w] = s;
  const qh = Math.floor(h / 2);
  const qw = Math.floor(w / 2);
  const y = Float32Array.from(x);
  for (let p = 0; p < n * c; p++) {
    const plane = p * h * w;
    for (let i = 0; i < qh; i++) {
      for (let j = 0; j < qw; j++) {
        const topRight = plane + i * w + (w - qw + j);
        const bottomLeft = plane + (h - qh + i) * w + j;
        y[topRight] = x[bottomLeft];
        y[bottomLeft] = x[topRight];
      }
    }
  }
  return y;
}

/** Asserts bit-identical float32 contents, naming the first differing element. */
function expectIdentical(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      throw new Error(`${what}: element ${i} is ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

function run(device: string, x: Float32Array, shape: Shape4, op: (t: Tensor) => Tensor): Float32Array {
  const xt = Tensor.from(x, shape, { device });
  const yt = op(xt);
  const out = yt.toArray() as Float32Array;
  xt.dispose();
  if (yt !== xt) yt.dispose();
  return out;
}

// ---- the generator -----------------------------------------------------------------------------

describe('augmentation generator', () => {
  test('Philox-4x32-10 reproduces the Random123 known answers', () => {
    expect(philox4x32_10([0, 0, 0, 0], [0, 0])).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    const ones = 0xffffffff;
    expect(philox4x32_10([ones, ones, ones, ones], [ones, ones])).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
  });

  test('the deterministic log, sin and cos agree with Math to ~1e-15', () => {
    const rnd = random();
    const words = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
    for (let k = 0; k < 2000; k++) words.push(seedWord(rnd));
    let worstLog = 0;
    for (const k of words) {
      const exact = Math.log((k + 1) / 4294967296);
      worstLog = Math.max(worstLog, Math.abs(logUniform(k) - exact) / Math.max(1, Math.abs(exact)));
    }
    expect(worstLog).toBeLessThan(1e-15);
    expect(logUniform(0xffffffff)).toBe(0);
    const turns = [0, 0.25, 0.5, 0.75, 1, -0.125, 0.125, 1 / 3, -0.49];
    for (let k = 0; k < 2000; k++) turns.push(rnd.next() * 2 - 1);
    let worstTrig = 0;
    for (const t of turns) {
      const [s, c] = sincosTurns(t);
      // Math.sin(2π·t) itself carries the rounding of 2π·t (about 1e-16 per unit of angle).
      worstTrig = Math.max(worstTrig, Math.abs(s - Math.sin(2 * Math.PI * t)), Math.abs(c - Math.cos(2 * Math.PI * t)));
    }
    expect(worstTrig).toBeLessThan(2e-15);
    expect(sincosTurns(0.25)).toEqual([1, -0]); // quarter turns are exact
    expect(sincosTurns(0)).toEqual([0, 1]);
  });

  test('uniformBelow and translation shifts cover their range evenly', () => {
    const counts = new Array(5).fill(0);
    let largestDx = 0;
    for (let image = 0; image < 5000; image++) {
      const { dy, dx } = translationShift(11, 3, image, 8, 8, 0.25); // round(0.25·8) = 2
      counts[dy + 2]++;
      largestDx = Math.max(largestDx, Math.abs(dx));
    }
    expect(largestDx).toBe(2);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(5000); // no dy outside [−2, 2]
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(uniformBelow(0xffffffff, 7)).toBe(6);
    expect(uniformBelow(0, 7)).toBe(0);
    expect(maxShift(0.25, 32)).toBe(8);
    expect(maxShift(0.25, 10)).toBe(3); // 2.5 rounds up
  });
});

// ---- the ops on every device -------------------------------------------------------------------

describe.each(testDevices)('augmentation ops on %s', (device) => {
  test('gaussianNoise equals the float64 reference exactly', () => {
    const rnd = random();
    for (const shape of SHAPES) {
      const x = pixels(rnd, shape);
      const seed = seedWord(rnd);
      const stream = seedWord(rnd);
      const sigma = 0.05 + rnd.next();
      const y = run(device, x, shape, (t) => gaussianNoise(t, sigma, seed, stream));
      expectIdentical(y, refGaussianNoise(x, sigma, seed, stream), `gaussianNoise [${shape}] seed ${rnd.seed}`);
    }
  });

  test('gaussianNoise statistics: mean 0, std sigma, reproducible, independent across streams', () => {
    const shape: Shape4 = [10, 1, 100, 100]; // 1e5 values
    const zeros = new Float32Array(sizeOf(shape));
    const sigma = 0.3;
    const a = run(device, zeros, shape, (t) => gaussianNoise(t, sigma, 1234, 0));
    let sum = 0;
    let sumSq = 0;
    let within = 0;
    for (const v of a) {
      sum += v;
      sumSq += v * v;
      if (Math.abs(v) <= sigma) within++;
    }
    const mean = sum / a.length;
    const std = Math.sqrt(sumSq / a.length - mean * mean);
    expect(Math.abs(mean)).toBeLessThan((4 * sigma) / Math.sqrt(a.length));
    expect(Math.abs(std / sigma - 1)).toBeLessThan(0.01);
    expect(Math.abs(within / a.length - 0.6827)).toBeLessThan(0.006);
    expectIdentical(run(device, zeros, shape, (t) => gaussianNoise(t, sigma, 1234, 0)), a, 'same seed and stream');
    for (const other of [
      run(device, zeros, shape, (t) => gaussianNoise(t, sigma, 1234, 1)),
      run(device, zeros, shape, (t) => gaussianNoise(t, sigma, 1235, 0)),
    ]) {
      let dot = 0;
      for (let i = 0; i < a.length; i++) dot += a[i] * other[i];
      expect(Math.abs(dot / a.length / (sigma * sigma))).toBeLessThan(0.02); // correlation ≈ 0
    }
  });

  test('gaussianNoise in place, with sigma 0, and with any thread count', () => {
    const rnd = random();
    const shape: Shape4 = [2, 3, 9, 11];
    const x = pixels(rnd, shape);
    const expected = refGaussianNoise(x, 0.2, 5, 6);
    const t = Tensor.from(x, shape, { device });
    expect(gaussianNoise(t, 0.2, 5, 6, t)).toBe(t);
    expectIdentical(t.toArray() as Float32Array, expected, `in place, seed ${rnd.seed}`);
    t.dispose();
    expectIdentical(run(device, x, shape, (u) => gaussianNoise(u, 0, 5, 6)), x, 'sigma 0');
    if (device === 'cpu') {
      const threads = numThreads();
      try {
        setNumThreads(1);
        const one = run(device, x, shape, (u) => gaussianNoise(u, 0.2, 5, 6));
        setNumThreads(3);
        const three = run(device, x, shape, (u) => gaussianNoise(u, 0.2, 5, 6));
        expectIdentical(one, expected, '1 thread');
        expectIdentical(three, expected, '3 threads');
      } finally {
        setNumThreads(threads);
      }
    }
  });

  test('edgeNoise equals the reference, leaves the centre untouched and matches gaussianNoise on the border', () => {
    const rnd = random();
    for (const shape of [...SHAPES, [2, 3, 32, 32] as Shape4, [1, 2, 12, 17] as Shape4]) {
      for (const border of [0, 1, 5, 9]) {
        const x = pixels(rnd, shape);
        const seed = seedWord(rnd);
        const stream = seedWord(rnd);
        const y = run(device, x, shape, (t) => edgeNoise(t, 0.15, border, seed, stream));
        const what = `edgeNoise [${shape}] border ${border} seed ${rnd.seed}`;
        expectIdentical(y, refEdgeNoise(x, shape, 0.15, border, seed, stream), what);
        const noisy = refGaussianNoise(x, 0.15, seed, stream);
        const [, , h, w] = shape;
        for (let e = 0; e < x.length; e++) {
          const i = Math.floor(e / w) % h;
          const j = e % w;
          const inCentre = i >= border && j >= border && i < h - border && j < w - border;
          if (y[e] !== (inCentre ? x[e] : noisy[e])) throw new Error(`${what}: element ${e} (row ${i}, column ${j})`);
        }
      }
    }
    // In place.
    const shape: Shape4 = [2, 1, 16, 16];
    const x = pixels(rnd, shape);
    const t = Tensor.from(x, shape, { device });
    edgeNoise(t, 0.15, 5, 77, 78, t);
    expectIdentical(t.toArray() as Float32Array, refEdgeNoise(x, shape, 0.15, 5, 77, 78), 'edgeNoise in place');
    t.dispose();
  });

  test('translate: a shift worked by hand on a 3×4 image', () => {
    // Find a (seed, stream 0) whose shift for image 0 is dy = +1 (down), dx = −2 (left); with
    // maxFraction 0.4: |dy| <= round(1.2) = 1, |dx| <= round(1.6) = 2.
    let seed = 0;
    while (!(translationShift(seed, 0, 0, 3, 4, 0.4).dy === 1 && translationShift(seed, 0, 0, 3, 4, 0.4).dx === -2)) seed++;
    const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const y = run(device, x, [1, 1, 3, 4], (t) => translate(t, 0.4, seed, 0));
    // Output (i, j) shows input (clamp(i − 1), clamp(j + 2)).
    expect(Array.from(y)).toEqual([3, 4, 4, 4, 3, 4, 4, 4, 7, 8, 8, 8]);
    expectIdentical(run(device, x, [1, 1, 3, 4], (t) => translate(t, 0, seed, 0)), x, 'maxFraction 0');
  });

  test('translate equals the reference: one shift per image, shared by its channels', () => {
    const rnd = random();
    for (const shape of [...SHAPES, [3, 3, 32, 32] as Shape4]) {
      for (const maxFraction of [0, 0.25, 0.5, 0.99]) {
        const x = pixels(rnd, shape);
        const seed = seedWord(rnd);
        const stream = seedWord(rnd);
        const y = run(device, x, shape, (t) => translate(t, maxFraction, seed, stream));
        expectIdentical(y, refTranslate(x, shape, maxFraction, seed, stream), `translate [${shape}] f=${maxFraction} seed ${rnd.seed}`);
      }
    }
  });

  test('rotate: 0° is the identity, ±90° on a square image is rot90 up to interpolation error', () => {
    const rnd = random();
    const shape: Shape4 = [3, 2, 9, 9];
    const x = pixels(rnd, shape);
    expectIdentical(run(device, x, shape, (t) => rotate(t, 0, seedWord(rnd), 7)), x, `0 degrees, seed ${rnd.seed}`);

    // Seeds whose image-0 angle lies within 0.02° of +90° and of −90° (found with the TS port).
    const find = (wanted: number): number => {
      let seed = 0;
      while (Math.abs(rotationDegrees(seed, 0, 0, 90) - wanted) > 0.02) seed++;
      return seed;
    };
    const n = 9;
    const one: Shape4 = [1, 2, n, n];
    const image = x.subarray(0, sizeOf(one));
    for (const wanted of [90, -90]) {
      const seed = find(wanted);
      const y = run(device, image, one, (t) => rotate(t, 90, seed, 0));
      // Counter-clockwise (+90): y[i][j] = x[j][n−1−i]; clockwise (−90): y[i][j] = x[n−1−j][i].
      const expected = new Float32Array(image.length);
      for (let c = 0; c < 2; c++) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const src = wanted > 0 ? j * n + (n - 1 - i) : (n - 1 - j) * n + i;
            expected[c * n * n + i * n + j] = image[c * n * n + src];
          }
        }
      }
      // 0.02° moves a corner pixel (radius 4√2) by 0.002 px: bilinear error below 0.005.
      expectClose(y, expected, `rotate ${wanted}° seed ${seed}`, { rtol: 0, atol: 5e-3 });
    }
  });

  test('rotate equals the float64 reference; nearest fill keeps a constant image constant', () => {
    const rnd = random();
    for (const shape of [...SHAPES, [2, 3, 32, 32] as Shape4]) {
      for (const maxDegrees of [10, 45, 180]) {
        const x = pixels(rnd, shape);
        const seed = seedWord(rnd);
        const stream = seedWord(rnd);
        const y = run(device, x, shape, (t) => rotate(t, maxDegrees, seed, stream));
        const expected = refRotate(x, shape, maxDegrees, seed, stream);
        const what = `rotate [${shape}] max ${maxDegrees} seed ${rnd.seed}`;
        // The kernels are written to round exactly as the reference does; allow 1 ulp on a GPU.
        if (device === 'cpu') expectIdentical(y, expected, what);
        else expectClose(y, expected, what, { rtol: 0, atol: 1e-7 });
      }
    }
    const shape: Shape4 = [4, 1, 10, 10];
    const y = run(device, new Float32Array(sizeOf(shape)).fill(0.7), shape, (t) => rotate(t, 45, 1, 2));
    expectClose(y, new Float32Array(y.length).fill(0.7), 'constant image (zero fill would darken the corners)', {
      rtol: 0,
      atol: 1e-6,
    });
  });

  test('quadrantSwap: by hand on even and odd sizes, an involution, equal to the reference', () => {
    const even = Float32Array.from({ length: 16 }, (_, i) => i);
    // prettier-ignore
    expect(Array.from(run(device, even, [1, 1, 4, 4], (t) => quadrantSwap(t)))).toEqual([
      0, 1, 8, 9,
      4, 5, 12, 13,
      2, 3, 10, 11,
      6, 7, 14, 15,
    ]);
    const odd = Float32Array.from({ length: 15 }, (_, i) => i);
    // 3×5: quarters 1×2; the middle row (5..9) and column (2, 7, 12) stay.
    // prettier-ignore
    expect(Array.from(run(device, odd, [1, 1, 3, 5], (t) => quadrantSwap(t)))).toEqual([
      0, 1, 2, 10, 11,
      5, 6, 7, 8, 9,
      3, 4, 12, 13, 14,
    ]);
    const rnd = random();
    for (const shape of [...SHAPES, [2, 3, 32, 32] as Shape4, [1, 2, 7, 3] as Shape4]) {
      const x = pixels(rnd, shape);
      const y = run(device, x, shape, (t) => quadrantSwap(t));
      expectIdentical(y, refQuadrantSwap(x, shape), `quadrantSwap [${shape}] seed ${rnd.seed}`);
      expectIdentical(run(device, y, shape, (t) => quadrantSwap(t)), x, `quadrantSwap twice [${shape}]`);
    }
  });

  test('applyAugmentation runs each robustness perturbation as its op, into a preallocated output', () => {
    const rnd = random();
    const shape: Shape4 = [2, 3, 32, 32];
    const x = pixels(rnd, shape);
    const refs: Record<string, Float32Array> = {
      translation: refTranslate(x, shape, 0.25, 9, 4),
      noise: refGaussianNoise(x, 0.15, 9, 4),
      edge_noise: refEdgeNoise(x, shape, 0.15, 5, 9, 4),
      rotation: refRotate(x, shape, 45, 9, 4),
      swap: refQuadrantSwap(x, shape),
    };
    const xt = Tensor.from(x, shape, { device });
    const out = Tensor.empty(shape, { device });
    for (const [column, aug] of Object.entries(ROBUSTNESS_PERTURBATIONS)) {
      expect(applyAugmentation(xt, aug, 9, 4, out)).toBe(out);
      expectClose(out.toArray(), refs[column], `${column} seed ${rnd.seed}`, { rtol: 0, atol: 1e-7 });
    }
    xt.dispose();
    out.dispose();
  });

  test('bad inputs are rejected with the op and the problem named', () => {
    const x = Tensor.zeros([2, 1, 4, 4], { device });
    const y = Tensor.zeros([2, 1, 4, 4], { device });
    const wrongShape = Tensor.zeros([2, 1, 4, 5], { device });
    const rank3 = Tensor.zeros([1, 4, 4], { device });
    const bytes = Tensor.zeros([2, 1, 4, 4], { device, dtype: 'uint8' });
    expect(() => gaussianNoise(x, -0.1, 0, 0, y)).toThrow(/^gaussianNoise: sigma must be >= 0, got -0.1/);
    expect(() => gaussianNoise(x, NaN, 0, 0, y)).toThrow(/^gaussianNoise: sigma must be finite, got NaN/);
    expect(() => gaussianNoise(x, 0.1, -1, 0, y)).toThrow(/^gaussianNoise: seed must be in \[0, 4294967295\], got -1/);
    expect(() => gaussianNoise(x, 0.1, 2 ** 32, 0, y)).toThrow(/seed must be in \[0, 4294967295\]/);
    expect(() => gaussianNoise(x, 0.1, 1.5, 0, y)).toThrow(/seed must be an integer, got 1.5/);
    expect(() => gaussianNoise(x, 0.1, 0, 2 ** 32, y)).toThrow(/^gaussianNoise: stream must be in \[0, 4294967295\]/);
    expect(() => gaussianNoise(x, 0.1, 0, 0, wrongShape)).toThrow(/^gaussianNoise: y must have shape \[2,1,4,4\], got \[2,1,4,5\]/);
    expect(() => gaussianNoise(rank3, 0.1, 0, 0)).toThrow(/^gaussianNoise: x must have 4 dimensions \(N,C,H,W\)/);
    expect(() => gaussianNoise(bytes as unknown as Tensor, 0.1, 0, 0, y)).toThrow(/^gaussianNoise: x must be float32, got uint8/);
    expect(() => edgeNoise(x, 0.1, -1, 0, 0, y)).toThrow(/^edgeNoise: border must be in \[0, \d+\], got -1/);
    expect(() => edgeNoise(x, 0.1, 2.5, 0, 0, y)).toThrow(/^edgeNoise: border must be an integer/);
    expect(() => translate(x, 1, 0, 0, y)).toThrow(/^translate: maxFraction must be in \[0, 1\), got 1/);
    expect(() => translate(x, -0.1, 0, 0, y)).toThrow(/^translate: maxFraction must be in \[0, 1\)/);
    expect(() => rotate(x, 181, 0, 0, y)).toThrow(/^rotate: maxDegrees must be in \[0, 180\], got 181/);
    expect(() => rotate(x, Infinity, 0, 0, y)).toThrow(/^rotate: maxDegrees must be finite/);
    // The geometric ops cannot run in place, not even through a view of x.
    expect(() => translate(x, 0.25, 0, 0, x)).toThrow(/^translate: y must not share memory with x/);
    expect(() => rotate(x, 45, 0, 0, x)).toThrow(/^rotate: y must not share memory with x/);
    expect(() => quadrantSwap(x, x)).toThrow(/^quadrantSwap: y must not share memory with x/);
    const view = x.reshape([2, 1, 4, 4]);
    expect(() => quadrantSwap(x, view)).toThrow(/^quadrantSwap: y must not share memory with x/);
    // The pointwise ones can; a different buffer is fine too.
    expect(() => gaussianNoise(x, 0.1, 0, 0, view)).not.toThrow();
    const addon = untypedAddon();
    expect(() => addon.translate(x.native, y.native, 0.25, 0)).toThrow(/^translate: expected 5 arguments, got 4/);
    expect(() => addon.quadrantSwap(x.native, {})).toThrow(/^quadrantSwap: y must be a tensor/);
    expect(() => applyAugmentation(x, { kind: 'blur' } as unknown as Augmentation, 0, 0)).toThrow(/unknown augmentation kind "blur"/);
    for (const t of [x, y, wrongShape, rank3, bytes, view]) t.dispose();
    expect(() => rotate(x, 45, 0, 0)).toThrow(/^rotate: x must be a live Tensor/);
    expect(() => rotate(wrongShape, 45, 0, 0, Tensor.zeros([2, 1, 4, 5], { device }))).toThrow(/^rotate: x is a disposed tensor/);
  });
});

test('ROBUSTNESS_PERTURBATIONS has the protocol parameters under the CSV column names', () => {
  expect(Object.keys(ROBUSTNESS_PERTURBATIONS)).toEqual(['translation', 'noise', 'edge_noise', 'rotation', 'swap']);
  expect(ROBUSTNESS_PERTURBATIONS).toEqual({
    translation: { kind: 'translation', maxFraction: 0.25 },
    noise: { kind: 'noise', sigma: 0.15 },
    edge_noise: { kind: 'edge_noise', sigma: 0.15, border: 5 },
    rotation: { kind: 'rotation', maxDegrees: 45 },
    swap: { kind: 'swap' },
  });
  expect(Object.isFrozen(ROBUSTNESS_PERTURBATIONS.noise)).toBe(true);
});

describeCuda('augmentation CPU/CUDA parity', () => {
  const shapes: Shape4[] = [[1, 1, 1, 1], [3, 17, 5, 7], [16, 3, 32, 32]];
  const ops: [string, (t: Tensor) => Tensor, number][] = [
    ['gaussianNoise', (t) => gaussianNoise(t, 0.3, 123, 456), 0],
    ['edgeNoise', (t) => edgeNoise(t, 0.15, 5, 123, 456), 0],
    ['translate', (t) => translate(t, 0.25, 123, 456), 0],
    ['rotate', (t) => rotate(t, 45, 123, 456), 1e-6],
    ['quadrantSwap', (t) => quadrantSwap(t), 0],
  ];
  test.each(ops)('%s gives identical outputs on both devices', (name, op, tolerance) => {
    const rnd = random();
    for (const shape of shapes) {
      const x = pixels(rnd, shape);
      const cpu = run('cpu', x, shape, op);
      const cuda = run('cuda:0', x, shape, op);
      const what = `${name} [${shape}] seed ${rnd.seed}`;
      if (tolerance === 0) expectIdentical(cuda, cpu, what);
      else expectClose(cuda, cpu, what, { rtol: 0, atol: tolerance });
    }
  });
});
