#!/usr/bin/env node
// Fuzzes the N-API boundary: every export of the native addon (found with Object.keys, so new
// exports are fuzzed without editing this file) and every NativeTensor method and getter, called
// thousands of times with argument lists drawn from a seeded generator. Each export also gets
// plausible calls for its op family (right ranks and related shapes) with one or more arguments
// spoiled, so the fuzz reaches the deeper checks: a mismatched weight, a disposed output, an
// output that is a reshape view of an input, a NaN hyperparameter, a wrong `this`.
//
// What counts as a failure (exit code 1; a crash shows as a signal to the parent):
//   - a thrown value that is not an Error, or whose message does not start with the export's name
//     ("conv2dForward: ...") or, for the tensor class, with "tensor." or "NativeTensor";
//   - a call that succeeded although two of its tensors share memory and running it on separate
//     copies gives other results (the alias oracle), or although two outputs share memory;
//   - a broken invariant of a successful tensor method (read's length, reshape's shape, ...);
//   - a directed case (enormous sizes, foreign objects as tensors) that does not throw as it must.
// Any JavaScript exception with a proper message is fine, and so is any success.
//
// Usage: node test/fuzz/fuzz_exports.js [--calls N] [--time-ms T] [--seed S] [--verbose]
// Environment: WSR_FUZZ_SEED reproduces a run (the seed is printed first), WSR_FUZZ_CALLS and
// WSR_FUZZ_TIME_MS set the calls per target and the time budget, WSR_FUZZ_TRACE names a file that
// always holds the call being made (after a crash: the call that crashed), WSR_FUZZ_ADDON loads
// another build of the addon instead of the package's own. The last line printed is
// "FUZZ_RESULT <json>" with the counts per target, read by test/fuzz.test.ts.
'use strict';

const path = require('path');

const root = path.resolve(__dirname, '..', '..');
// WSR_FUZZ_ADDON=<path to a .node file> fuzzes another build (e.g. one with AddressSanitizer).
const addon = process.env.WSR_FUZZ_ADDON
  ? require(path.resolve(process.env.WSR_FUZZ_ADDON))
  : require(require.resolve('node-gyp-build', { paths: [root] }))(root);
const NativeTensor = addon.NativeTensor;

// ---- options -------------------------------------------------------------------------------

function option(name, envName, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && i + 1 < process.argv.length) return Number(process.argv[i + 1]);
  if (process.env[envName] !== undefined && process.env[envName] !== '') return Number(process.env[envName]);
  return fallback;
}
const seed = option('seed', 'WSR_FUZZ_SEED', Math.floor(Math.random() * 2 ** 31)) >>> 0;
const callsPerTarget = option('calls', 'WSR_FUZZ_CALLS', 2000);
const timeBudgetMs = option('time-ms', 'WSR_FUZZ_TIME_MS', 20000);
const verbose = process.argv.includes('--verbose');
// WSR_FUZZ_TRACE=<file>: each call is written there (over the previous one) before it is made,
// so after a crash the file names the call that crashed.
const traceFd = process.env.WSR_FUZZ_TRACE ? require('fs').openSync(process.env.WSR_FUZZ_TRACE, 'w') : null;
function trace(text) {
  if (traceFd !== null) require('fs').writeSync(traceFd, text.slice(0, 4000).padEnd(4000), 0);
}
console.log(`wsr fuzz: seed ${seed} (reproduce with WSR_FUZZ_SEED=${seed}), ${callsPerTarget} calls per target, ` +
  `budget ${timeBudgetMs} ms, pid ${process.pid}`);

// ---- seeded randomness ---------------------------------------------------------------------

let state = seed;
function rnd() {  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(rnd() * (hi - lo + 1));  // inclusive
const chance = (p) => rnd() < p;
const pick = (list) => list[Math.floor(rnd() * list.length)];
const product = (shape) => shape.reduce((a, b) => a * b, 1);

// ---- problems ------------------------------------------------------------------------------

const problems = [];
const problemKeys = new Set();
let currentCall = '';
function problem(kind, detail) {
  const key = `${kind}|${detail}`.replace(/\d+/g, '#');
  if (problemKeys.has(key)) return;
  problemKeys.add(key);
  problems.push(`${kind}: ${detail}\n      in call: ${currentCall}`);
  console.log(`PROBLEM ${kind}: ${detail}\n      in call: ${currentCall}`);
}

// ---- tensors -------------------------------------------------------------------------------

const DTYPES = ['float32', 'uint8', 'int32'];
let created = [];  // tensors made for the current call, disposed after it
const ours = new WeakSet();  // every real tensor the fuzzer made or got back (fakes are not in it)
function track(t) {
  ours.add(t);
  created.push(t);
  return t;
}

function fillData(dtype, n, kind) {
  if (dtype === 'uint8') {
    const a = new Uint8Array(n);
    const top = kind && kind.below !== undefined ? kind.below : 256;
    for (let i = 0; i < n; ++i) a[i] = chance(0.03) ? int(0, 255) : int(0, Math.max(0, top - 1));
    return a;
  }
  if (dtype === 'int32') {
    const a = new Int32Array(n);
    const top = kind && kind.below !== undefined ? kind.below : 16;
    for (let i = 0; i < n; ++i) {
      a[i] = chance(0.03) ? pick([-1, -(2 ** 31), 2 ** 31 - 1, top, top + 1]) : int(0, Math.max(0, top - 1));
    }
    return a;
  }
  const a = new Float32Array(n);
  for (let i = 0; i < n; ++i) {
    a[i] = chance(0.01) ? pick([NaN, Infinity, -Infinity, 3e38, -3e38, -0, 1e-40]) : rnd() * 4 - 2;
  }
  return a;
}

/** A live CPU tensor with random contents (tracked for disposal after the call). */
function T(shape, dtype = 'float32', kind) {
  // A variant of a zero-size shape with enormous dimensions would be enormous: shrink it.
  shape = shape.map((d) => Math.min(d, 2 ** 31 - 1));
  if (product(shape) > 1 << 18) shape = shape.map((d) => Math.min(d, 3));
  const t = track(addon.empty(shape, dtype, 'cpu'));
  const n = product(shape);
  if (n > 0) t.write(fillData(dtype, n, kind));
  return t;
}
function disposedTensor(shape, dtype = 'float32') {
  const t = T(shape, dtype);
  t.dispose();
  return t;
}
/** A reshape view of `t` (sharing its memory) with `shape`, or null when the sizes differ. */
function viewOf(t, shape) {
  if (t.disposed || product(shape) !== product(t.shape)) return null;
  return track(t.reshape(shape));
}
function randomShape(maxRank = 7, maxDim = 9) {
  const rank = int(0, maxRank);
  const shape = [];
  for (let i = 0; i < rank; ++i) shape.push(chance(0.7) ? int(1, 3) : int(0, maxDim));
  // Keep the element count modest: fuzzing is about the checks, not big kernels.
  while (product(shape) > 2048) shape[shape.indexOf(Math.max(...shape))] -= 1;
  return shape;
}
function randomTensor() {
  const dtype = chance(0.7) ? 'float32' : pick(DTYPES);
  if (chance(0.05)) return disposedTensor(randomShape(), dtype);
  if (chance(0.04)) {
    // Zero-size tensors whose other dimensions are enormous: they cost nothing to allocate.
    const big = 2 ** 31 - 1;
    return T(pick([[0, big], [big, 0], [0, 1, big, big], [0, big, 1, 1], [big, 0, big], [0, 1, 1, big, big, 1]]), dtype);
  }
  return T(randomShape(), dtype);
}

// ---- junk values ---------------------------------------------------------------------------

const NUMBERS = [0, -1, 1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 31 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, -0,
  1e308, -1e308, 5e-324, 2, 3, 7, 255, 256, 4294967295, 4294967296, 0.5, 0.999999999999, 180, 180.0001, -(2 ** 31), 1e-45];
const STRINGS = ['cpu', 'cuda', 'cuda:0', 'cuda:99', 'cuda:', 'cuda:-1', 'cuda:1000', 'cuda:0x1', '', 'float64',
  'float32', 'uint8', 'int32', 'CPU', ' cpu', 'x'.repeat(200), 'cpu\u0000cuda', '\u{1F4A5}', '0'];

let detachedCache;
function detachedArray() {
  // A typed array whose buffer was transferred away (length 0, data pointer gone).
  if (!detachedCache) {
    const buffer = new ArrayBuffer(16);
    const array = new Float32Array(buffer);
    structuredClone(buffer, { transfer: [buffer] });
    detachedCache = array;
  }
  return detachedCache;
}
function sharedArray(n) {
  return new Float32Array(new SharedArrayBuffer(4 * n));
}
function resizableArray(n) {
  try {
    return new Float32Array(new ArrayBuffer(4 * n, { maxByteLength: 4 * n + 64 }));
  } catch {
    return new Float32Array(n);
  }
}
function liarArray(n) {
  // A typed array whose own `length` property claims to be enormous.
  const a = new Float32Array(n);
  Object.defineProperty(a, 'length', { value: 2 ** 31 });
  return a;
}

let foreignWrapped;  // an object wrapped by another N-API addon (resvg), when it loads
try {
  const { Resvg } = require(require.resolve('@resvg/resvg-js', { paths: [root] }));
  // Making one is slow (it loads fonts), so a few are made once and reused.
  const made = [0, 1, 2].map(() => new Resvg('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'));
  foreignWrapped = () => pick(made);
} catch {
  foreignWrapped = undefined;
}

/**
 * An array whose element 0 is a getter: reading it runs JavaScript in the middle of an export.
 * 'dispose' disposes every tensor of the current call (then returns `value`), the others throw.
 */
function getterArray(what, values = [1]) {
  const a = values.slice();
  Object.defineProperty(a, 0, {
    enumerable: true,
    get() {
      if (what === 'dispose') {
        for (const t of created) t.dispose();
        return values[0];
      }
      if (what === 'error') throw new RangeError('thrown by a getter');
      if (what === 'string') throw 'a string thrown by a getter';  // eslint-disable-line no-throw-literal
      throw Symbol('thrown by a getter');
    },
  });
  return a;
}
const getterKinds = ['dispose', 'dispose', 'error', 'string', 'symbol'];

/** Objects that look like a tensor without being one. */
function fakeTensor() {
  switch (int(0, 4)) {
    case 0: return Object.create(NativeTensor.prototype);
    case 1: return NativeTensor.prototype;
    case 2: {
      const t = T([2, 2]);
      return new Proxy(t, {});
    }
    case 3: return { shape: [2, 2], dtype: 'float32', device: 'cpu', disposed: false };
    default: {
      if (!foreignWrapped) return Object.create(NativeTensor.prototype);
      // Another addon's wrapped object dressed up as a NativeTensor: instanceof says yes.
      const o = foreignWrapped();
      Object.setPrototypeOf(o, NativeTensor.prototype);
      return o;
    }
  }
}

function typedArray() {
  const n = pick([0, 1, 2, 4, 6, 8, 9, 16]);
  switch (int(0, 15)) {
    case 0: return new Float32Array(n);
    case 1: return new Float64Array(n);
    case 2: return new Uint8Array(n);
    case 3: return new Uint8ClampedArray(n);
    case 4: return new Int8Array(n);
    case 5: return new Int16Array(n);
    case 6: return new Uint16Array(n);
    case 7: return new Int32Array(n);
    case 8: return new Uint32Array(n);
    case 9: return new BigInt64Array(n);
    case 10: return new BigUint64Array(n);
    case 11: return new DataView(new ArrayBuffer(n));
    case 12: return detachedArray();
    case 13: return sharedArray(n);
    case 14: return resizableArray(n);
    default: return liarArray(n);
  }
}

function junk(depth = 0) {
  switch (int(0, 17)) {
    case 0: case 1: case 2: return pick(NUMBERS);
    case 3: case 4: return pick(STRINGS);
    case 5: return chance(0.5);
    case 6: return null;
    case 7: return undefined;
    case 8: {
      const arrays = [[], [[1, 2], [3]], [2 ** 31, 2 ** 31], [NaN], [1, NaN], [1, 2, 3], [-1], [1.5], [2 ** 20, 2 ** 20, 2 ** 10],
        [0, 2 ** 31], new Array(9).fill(1), [1, 1, 1, 1, 1, 1, 1, 1, 1], ['1'], [1n], [null], [undefined], [, 2], [Infinity]];
      if (chance(0.1)) return new Array(2 ** 32 - 1);  // sparse, enormous length
      if (chance(0.1)) return getterArray(pick(getterKinds), [int(1, 3), 2]);
      return pick(arrays).slice();
    }
    case 9: return pick([{}, { length: 3 }, { shape: [1] }, new Date(0), /x/, new Map(), new Error('not a tensor'),
      Object.create(null), new Number(1), new String('cpu'), new Boolean(true)]);
    case 10: return pick([() => 1, function named() {}, class K {}, NativeTensor]);
    case 11: return Symbol('fuzz');
    case 12: return pick([10n, -1n, 0n, 2n ** 64n]);
    case 13: return typedArray();
    case 14: return fakeTensor();
    case 15: case 16: return randomTensor();
    default: return depth < 2 && chance(0.5) ? [junk(depth + 1), junk(depth + 1)] : randomTensor();
  }
}

// ---- plausible calls per op family ---------------------------------------------------------

// Dimension draws. A call's "mode" makes most sizes 1 (so tensors of different roles have equal
// element counts and can alias each other through reshape views), or allows zeros.
let mode = 'small';
function dim(lo = 1, hi = 3) {
  if (mode === 'ones') return Math.max(lo, 1);
  if (mode === 'zeros' && chance(0.25)) return 0;  // also where the op needs >= 1: the boundary
  return int(lo, hi);
}
const f32 = (shape) => T(shape, 'float32');
const orNull = (make) => (chance(0.3) ? null : make());

function hyper(kh, kw) {
  const stride = () => (mode === 'ones' ? 1 : int(1, 3));
  const pad = (k) => (mode === 'ones' ? 0 : int(0, k - 1));
  return [stride(), stride(), pad(kh), pad(kh), pad(kw), pad(kw)];
}
function outSize(input, before, after, kernel, stride) {
  const padded = input + before + after;
  return padded < kernel ? 0 : Math.floor((padded - kernel) / stride) + 1;
}
function geometry(nonEmpty) {
  const n = nonEmpty ? dim(1, 2) : dim(0, 2), c = dim(), k = dim(), kh = dim(1, 3), kw = dim(1, 3);
  let h = dim(1, 5), w = dim(1, 5);
  if (mode === 'ones') h = w = kh;
  const hp = hyper(kh, kw);
  h = Math.max(h, kh - hp[2] - hp[3]);
  w = Math.max(w, kw - hp[4] - hp[5]);
  const oh = outSize(h, hp[2], hp[3], kh, hp[0]), ow = outSize(w, hp[4], hp[5], kw, hp[1]);
  return { n, c, h, w, k, kh, kw, oh, ow, hp };
}
function hugeZeroGeometry() {
  // An empty batch whose images are enormous: only the shapes exist, no memory.
  const big = 2 ** 31 - 1;
  return { n: 0, c: 1, h: big, w: big, k: 1, kh: 1, kw: 1, oh: big, ow: big, hp: [1, 1, 0, 0, 0, 0] };
}

const plausible = {
  empty: () => {
    const shape = mode === 'zeros' ? [0, 2 ** 31 - 1] : randomShape(4, 9);
    return [chance(0.05) && shape.length ? getterArray(pick(getterKinds), shape) : shape, pick(DTYPES), 'cpu'];
  },
  buildInfo: () => [],
  cudaStatus: () => [],
  cudaDevices: () => [],
  numThreads: () => [],
  memoryStats: () => [],
  synchronize: () => ['cpu'],
  setNumThreads: () => [pick([1, 2, 3, 4, 8])],

  fill: () => [f32(randomShape(4, 4)), rnd() * 4 - 2],
  scale: () => [f32(randomShape(4, 4)), rnd() * 4 - 2],
  axpy: () => {
    const shape = randomShape(4, 4);
    return [f32(shape), rnd() * 4 - 2, f32(shape)];
  },
  sum: () => [f32(randomShape(4, 4)), f32([1])],
  sumSquares: () => [f32(randomShape(4, 4)), f32([1])],

  reluForward: () => {
    const x = f32(randomShape(4, 4));
    return [x, chance(0.3) ? x : f32(x.shape)];
  },
  reluBackward: () => {
    const shape = randomShape(4, 4);
    const dy = f32(shape);
    return [f32(shape), dy, chance(0.3) ? dy : f32(shape)];
  },
  softmaxCrossEntropy: () => {
    const n = dim(0, 4), c = dim(1, 4);
    return [f32([n, c]), T([n], 'uint8', { below: c }), orNull(() => f32([n, c])), f32([2]), chance(0.5)];
  },

  gaussianNoise: () => {
    const x = f32([dim(0, 2), dim(), dim(1, 4), dim(1, 4)]);
    return [x, chance(0.3) ? x : f32(x.shape), rnd() * 2, int(0, 2 ** 32 - 1), int(0, 9)];
  },
  edgeNoise: () => {
    const x = f32([dim(0, 2), dim(), dim(1, 4), dim(1, 4)]);
    return [x, chance(0.3) ? x : f32(x.shape), rnd() * 2, int(0, 3), int(0, 2 ** 32 - 1), int(0, 9)];
  },
  translate: () => {
    const x = f32([dim(0, 2), dim(), dim(1, 4), dim(1, 4)]);
    return [x, f32(x.shape), rnd() * 0.99, int(0, 2 ** 32 - 1), int(0, 9)];
  },
  rotate: () => {
    const x = f32([dim(0, 2), dim(), dim(1, 4), dim(1, 4)]);
    return [x, f32(x.shape), rnd() * 180, int(0, 2 ** 32 - 1), int(0, 9)];
  },
  quadrantSwap: () => {
    const x = f32([dim(0, 2), dim(), dim(1, 4), dim(1, 4)]);
    return [x, f32(x.shape)];
  },

  conv2dForward: () => {
    const g = chance(0.05) ? hugeZeroGeometry() : geometry(false);
    return [f32([g.n, g.c, g.h, g.w]), f32([g.k, g.c, g.kh, g.kw]), orNull(() => f32([g.k])),
      f32([g.n, g.k, g.oh, g.ow]), ...g.hp];
  },
  conv2dBackwardInput: () => {
    const g = chance(0.05) ? hugeZeroGeometry() : geometry(false);
    return [f32([g.n, g.k, g.oh, g.ow]), f32([g.k, g.c, g.kh, g.kw]), f32([g.n, g.c, g.h, g.w]), ...g.hp];
  },
  conv2dBackwardWeight: () => {
    const g = chance(0.05) ? hugeZeroGeometry() : geometry(false);
    return [f32([g.n, g.c, g.h, g.w]), f32([g.n, g.k, g.oh, g.ow]), f32([g.k, g.c, g.kh, g.kw]), orNull(() => f32([g.k])),
      ...g.hp];
  },

  local2dForward: () => {
    const g = geometry(true);
    return [f32([g.n, g.c, g.h, g.w]), f32([g.oh, g.ow, g.k, g.c, g.kh, g.kw]), orNull(() => f32([g.oh, g.ow, g.k])),
      f32([g.n, g.k, g.oh, g.ow]), ...g.hp];
  },
  local2dBackwardInput: () => {
    const g = geometry(true);
    return [f32([g.n, g.k, g.oh, g.ow]), f32([g.oh, g.ow, g.k, g.c, g.kh, g.kw]), f32([g.n, g.c, g.h, g.w]), ...g.hp];
  },
  local2dBackwardWeight: () => {
    const g = geometry(true);
    return [f32([g.n, g.c, g.h, g.w]), f32([g.n, g.k, g.oh, g.ow]), f32([g.oh, g.ow, g.k, g.c, g.kh, g.kw]),
      orNull(() => f32([g.oh, g.ow, g.k])), ...g.hp];
  },
  convToLocal: () => {
    const k = dim(), c = dim(), kh = dim(), kw = dim(), oh = dim(), ow = dim();
    const bias = !chance(0.3);
    return [f32([k, c, kh, kw]), bias ? f32([k]) : null, f32([oh, ow, k, c, kh, kw]), bias ? f32([oh, ow, k]) : null];
  },
  localToConv: () => {
    const k = dim(), c = dim(), kh = dim(), kw = dim(), oh = dim(), ow = dim();
    const bias = !chance(0.3);
    return [f32([oh, ow, k, c, kh, kw]), bias ? f32([oh, ow, k]) : null, f32([k, c, kh, kw]), bias ? f32([k]) : null];
  },

  denseForward: () => {
    const n = dim(0, 3), i = dim(), o = dim();
    return [f32([n, i]), f32([o, i]), orNull(() => f32([o])), f32([n, o])];
  },
  denseBackward: () => {
    const n = dim(0, 3), i = dim(), o = dim();
    return [f32([n, i]), f32([o, i]), f32([n, o]), orNull(() => f32([n, i])), f32([o, i]), orNull(() => f32([o]))];
  },

  gatherBatch: () => {
    const m = dim(0, 4), rest = [dim(), dim()], p = dim(0, 6);
    const offset = int(0, p), count = int(0, p - offset);
    return [T([m, ...rest], 'uint8'), T([m], 'uint8'), T([p], 'int32', { below: m }), offset, count, 1 / 255,
      f32([count, ...rest]), T([count], 'uint8')];
  },

  localDistances: () => {
    const oh = dim(1, 5), ow = dim(1, 5);
    let radii = Array.from({ length: int(1, 3) }, () => int(1, 3));
    if (chance(0.05)) radii = getterArray(pick(getterKinds), radii);
    return [f32([oh, ow, dim(), dim()]), radii, f32([radii.length, 2])];
  },
  referenceDistances: () => {
    const oh = dim(1, 4), ow = dim(1, 4), bank = [dim(), dim()];
    return [f32([oh, ow, ...bank]), f32(bank), f32([2, oh, ow])];
  },

  tieLocal: () => {
    const oh = dim(), ow = dim(), k = dim();
    return [f32([oh, ow, k, dim(), dim(), dim()]), orNull(() => f32([oh, ow, k])), pick([0, 1, rnd(), rnd()])];
  },
  tiePenaltyBackward: () => {
    const oh = dim(), ow = dim(), k = dim(), bank = [k, dim(), dim(), dim()];
    const bias = !chance(0.3);
    return [f32([oh, ow, ...bank]), bias ? f32([oh, ow, k]) : null, f32([oh, ow, ...bank]), bias ? f32([oh, ow, k]) : null,
      pick([0, rnd(), rnd() * 10]), f32([1])];
  },
  maskInputs: () => {
    const sample = randomShape(3, 4);
    const x = f32([dim(0, 3), ...sample]);
    return [x, f32(sample), chance(0.3) ? x : f32(x.shape)];
  },

  lowRankMix: () => {
    const r = dim(), oh = dim(), ow = dim(), bank = [dim(), dim(), dim(), dim()];
    const bias = !chance(0.3);
    return [f32([r, ...bank]), bias ? f32([r, bank[0]]) : null, f32([oh, ow, r]), f32([oh, ow, ...bank]),
      bias ? f32([oh, ow, bank[0]]) : null];
  },
  lowRankMixBackward: () => {
    const r = dim(), oh = dim(), ow = dim(), bank = [dim(), dim(), dim(), dim()];
    const bias = !chance(0.3);
    return [f32([r, ...bank]), bias ? f32([r, bank[0]]) : null, f32([oh, ow, r]), f32([oh, ow, ...bank]),
      bias ? f32([oh, ow, bank[0]]) : null, f32([r, ...bank]), bias ? f32([r, bank[0]]) : null, f32([oh, ow, r])];
  },

  sgdUpdate: () => {
    const shape = randomShape(3, 4);
    return [f32(shape), f32(shape), f32(shape), rnd(), pick([0, 0.9, rnd()]), chance(0.5), pick([0, 1e-4])];
  },
  adamUpdate: () => {
    const shape = randomShape(3, 4);
    return [f32(shape), f32(shape), f32(shape), f32(shape), rnd() * 0.01, 0.9, 0.999, 1e-8, int(1, 1000), pick([0, 1e-4])];
  },
};

// ---- mutations -----------------------------------------------------------------------------

const isTensor = (v) => ours.has(v) && !v.disposed;

function tensorVariant(t, args) {
  const shape = t.shape;
  switch (int(0, 9)) {
    case 0: return disposedTensor(shape, t.dtype);
    case 1: return T(shape, pick(DTYPES.filter((d) => d !== t.dtype)));
    case 2: {  // one dimension off by one (or zero)
      if (shape.length === 0) return T([1], t.dtype);
      const s = shape.slice();
      const i = int(0, s.length - 1);
      s[i] = Math.max(0, s[i] + pick([-1, 1, 1, -s[i]]));
      return T(s, t.dtype);
    }
    case 3: return T(chance(0.5) ? [...shape, 1] : shape.slice(1), t.dtype);  // rank off by one
    case 4: case 5: {  // a view of another tensor argument: shares memory with it
      const others = args.filter((a) => isTensor(a) && a !== t && a.dtype === t.dtype && product(a.shape) === product(shape));
      if (others.length) return viewOf(pick(others), shape);
      return viewOf(t, shape) || t;
    }
    case 6: {  // the same object as another tensor argument of the same shape
      const same = args.filter((a) => isTensor(a) && a !== t && String(a.shape) === String(shape));
      return same.length ? pick(same) : t;
    }
    case 7: return T(shape.map(() => 0), t.dtype);
    case 8: return fakeTensor();
    default: return T(randomShape(), t.dtype);
  }
}

function numberVariant(x) {
  return chance(0.7) ? pick(NUMBERS) : pick([-x, x + 1, x - 1, x * 2 ** 31, String(x), BigInt(Number.isFinite(x) ? Math.trunc(x) : 0)]);
}

function mutate(args) {
  const a = args.slice();
  switch (int(0, 9)) {
    case 0: case 1: {
      if (!a.length) return [junk()];
      a[int(0, a.length - 1)] = junk();
      return a;
    }
    case 2: case 3: case 4: {
      const tensors = a.map((v, i) => (isTensor(v) ? i : -1)).filter((i) => i >= 0);
      if (!tensors.length) return mutate(a);
      const i = pick(tensors);
      a[i] = tensorVariant(a[i], a);
      return a;
    }
    case 5: {
      const numbers = a.map((v, i) => (typeof v === 'number' ? i : -1)).filter((i) => i >= 0);
      if (!numbers.length) return mutate(a);
      const i = pick(numbers);
      a[i] = numberVariant(a[i]);
      return a;
    }
    case 6: return a.slice(0, int(0, Math.max(0, a.length - 1)));
    case 7: return [...a, ...Array.from({ length: int(1, 3) }, () => junk())];
    case 8: {
      if (a.length < 2) return a;
      const i = int(0, a.length - 1), j = int(0, a.length - 1);
      [a[i], a[j]] = [a[j], a[i]];
      return a;
    }
    default: {
      const i = int(0, Math.max(0, a.length - 1));
      a[i] = pick([null, undefined]);
      return a;
    }
  }
}

function randomArgs() {
  return Array.from({ length: int(0, 12) }, () => junk());
}

// ---- the alias oracle ----------------------------------------------------------------------

function bytesOf(t) {
  const a = t.read();
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; ++i) if (a[i] !== b[i]) return false;
  return true;
}
/** Groups of argument positions whose live tensors share memory (groups of 2 or more). */
function aliasGroups(args) {
  const groups = [];
  const seen = new Set();
  for (let i = 0; i < args.length; ++i) {
    if (!isTensor(args[i]) || seen.has(i)) continue;
    const group = [i];
    for (let j = i + 1; j < args.length; ++j) {
      if (isTensor(args[j]) && !seen.has(j) && args[i].sharesMemory(args[j])) {
        group.push(j);
        seen.add(j);
      }
    }
    if (group.length > 1 && product(args[i].shape) > 0) groups.push(group);
  }
  return groups;
}

// After a successful call whose tensors alias: rerun it with every tensor argument replaced by a
// separate copy of its pre-call contents, then each shared buffer must hold what the one output
// among its aliases computed (or its old contents when none of them was written). Two written
// aliases mean two outputs in one buffer, which no op can do correctly.
let aliasChecks = 0;
function checkAliasing(name, fn, args, groups, before) {
  aliasChecks += 1;
  statsOf(name).aliasChecks = (statsOf(name).aliasChecks || 0) + 1;
  const copies = args.map((a, i) => {
    if (!before.has(i)) return a;
    const c = track(addon.empty(a.shape, a.dtype, 'cpu'));
    c.write(before.get(i).typed);
    return c;
  });
  try {
    fn(...copies);
  } catch (e) {
    problem('alias oracle', `${name} succeeded with shared memory but threw on separate copies: ${e && e.message}`);
    return;
  }
  for (const group of groups) {
    const written = group.filter((i) => !sameBytes(bytesOf(copies[i]), before.get(i).bytes));
    const actual = bytesOf(args[group[0]]);
    const names = group.map((i) => `argument ${i}`).join(' and ');
    if (written.length > 1) {
      problem('aliased outputs', `${name} accepted ${names} sharing memory although it writes each of them`);
    } else if (written.length === 1) {
      if (!sameBytes(actual, bytesOf(copies[written[0]])))
        problem('alias wrong answer', `${name} with ${names} sharing memory computed another result than on separate copies`);
    } else if (!sameBytes(actual, before.get(group[0]).bytes)) {
      problem('alias wrong answer', `${name} with ${names} sharing memory changed a buffer it does not write`);
    }
  }
}

// ---- calling and classifying ---------------------------------------------------------------

const stats = new Map();  // target -> { calls, ok, threw, messages: Map<prefix, count> }
function statsOf(target) {
  let s = stats.get(target);
  if (!s) stats.set(target, (s = { calls: 0, ok: 0, threw: 0, ms: 0, messages: new Map() }));
  return s;
}

function describe(v) {
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
  if (typeof v === 'symbol') return 'Symbol()';
  if (typeof v === 'function') return `function ${v.name}`;
  if (ours.has(v)) return `${v.dtype}[${v.shape}]${v.disposed ? '(disposed)' : ''}`;
  if (v instanceof NativeTensor) return 'a fake NativeTensor';
  if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength} bytes)`;
  if (Array.isArray(v)) {
    if (v.length > 16) return `Array(${v.length})`;
    const items = [];
    for (let i = 0; i < v.length; ++i) {
      const d = Object.getOwnPropertyDescriptor(v, i);
      items.push(!d ? '' : d.get ? '<getter>' : describe(d.value));  // never run a getter here
    }
    return `[${items.join(',')}]`;
  }
  return Object.prototype.toString.call(v);
}

function messagePrefix(message) {
  // "conv2dForward: w has 3 input channels but x has 2: ..." -> "conv2dForward: w has # input channels but x has #"
  return String(message).split(/[:,(]/).slice(0, 2).join(':').replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, '#').slice(0, 90);
}

/** Calls fn(...args) (or fn.call(self, ...args)), checks the outcome; returns { ok, value }. */
function invoke(target, okPrefixes, fn, args, self, label) {
  const s = statsOf(target);
  s.calls += 1;
  currentCall = label ? `${target}: ${label}`
    : `${target}(${args.map(describe).join(', ')})${self !== undefined ? ` on this=${describe(self)}` : ''}`;
  if (verbose) console.log(currentCall);
  trace(currentCall);
  try {
    const value = self !== undefined ? fn.apply(self, args) : fn(...args);
    s.ok += 1;
    return { ok: true, value };
  } catch (e) {
    s.threw += 1;
    if (!(e instanceof Error)) {
      problem('non-Error thrown', `${target} threw ${describe(e)}`);
      return { ok: false };
    }
    const message = String(e.message);
    const key = messagePrefix(message);
    s.messages.set(key, (s.messages.get(key) || 0) + 1);
    if (!okPrefixes.some((p) => message.startsWith(p))) {
      problem('message does not name the op', `${target} threw ${e.constructor.name}: ${JSON.stringify(message.slice(0, 200))}`);
    }
    return { ok: false, error: e };
  }
}

function callExport(name) {
  const fn = addon[name];
  const make = plausible[name];
  mode = chance(0.25) ? 'ones' : chance(0.2) ? 'zeros' : 'small';
  let args;
  if (!make || chance(0.15)) {
    args = randomArgs();
  } else {
    args = make();
    const mutations = chance(0.3) ? 0 : chance(0.7) ? 1 : int(2, 3);
    for (let i = 0; i < mutations; ++i) args = mutate(args);
    // Aliasing on purpose: an output argument replaced by a view of an input of equal size.
    if (mutations === 0 && chance(0.3)) {
      const tensors = args.map((v, i) => (isTensor(v) ? i : -1)).filter((i) => i >= 0);
      if (tensors.length >= 2) {
        const i = pick(tensors), j = pick(tensors.filter((k) => k !== i));
        const v = args[i].dtype === args[j].dtype ? viewOf(args[i], args[j].shape) : null;
        if (v) args[j] = v;
      }
    }
  }
  if (name === 'setNumThreads') {
    // Keep the pool small: this machine is shared, and a thousand threads prove nothing new.
    args = args.map((a) => (typeof a === 'number' && a > 8 && a <= 1024 ? 8 : a));
  }
  const groups = aliasGroups(args);
  let before;
  if (groups.length) {
    // Every tensor argument's contents before the call, for the rerun on separate copies.
    before = new Map();
    args.forEach((a, i) => {
      if (!isTensor(a)) return;
      const typed = a.read();
      before.set(i, { typed, bytes: new Uint8Array(typed.buffer.slice(0)) });
    });
  }
  const result = invoke(name, [`${name}:`], fn, args);
  if (result.ok && groups.length) checkAliasing(name, fn, args, groups, before);
  if (result.ok) checkExportResult(name, args, result.value);
}

const hasGetter = (a) => Array.isArray(a) && Object.values(Object.getOwnPropertyDescriptors(a)).some((d) => d.get);

function checkExportResult(name, args, value) {
  if (name === 'empty' && !hasGetter(args[0])) {
    if (!(value instanceof NativeTensor)) return problem('bad result', 'empty did not return a NativeTensor');
    track(value);
    if (String(value.shape) !== String(args[0]) || value.dtype !== args[1] || value.device !== 'cpu') {
      problem('bad result', `empty returned ${describe(value)} for shape ${describe(args[0])} and dtype ${describe(args[1])}`);
    }
  }
}

// ---- NativeTensor methods ------------------------------------------------------------------

const METHODS = ['read', 'write', 'copyFrom', 'to', 'reshape', 'sharesMemory', 'dispose'];
const GETTERS = ['shape', 'dtype', 'device', 'disposed'];
const TENSOR_PREFIXES = ['tensor.', 'NativeTensor'];

function receiver() {
  const t = T(randomShape(4, 5), pick(DTYPES));
  if (chance(0.1)) t.dispose();
  if (chance(0.15) && !t.disposed) return viewOf(t, [product(t.shape)]);
  return t;
}

function methodArgs(method, t) {
  const live = !t.disposed;
  switch (method) {
    case 'write': {
      const n = product(t.shape);
      const Ctor = { float32: Float32Array, uint8: Uint8Array, int32: Int32Array }[t.dtype];
      if (chance(0.1)) return [pick([sharedArray, resizableArray])(n)];
      return [chance(0.8) ? new Ctor(n) : typedArray()];
    }
    case 'copyFrom': {
      if (chance(0.2)) return [t];
      if (chance(0.2) && live) return [viewOf(t, t.shape)];
      return [chance(0.7) ? T(t.shape, t.dtype) : randomTensor()];
    }
    case 'to': return [chance(0.7) ? 'cpu' : pick(STRINGS)];
    case 'reshape': {
      const shape = t.shape.slice();
      if (chance(0.05) && shape.length) return [getterArray(pick(getterKinds), shape)];
      if (chance(0.7)) return [shape.reverse()];
      return [chance(0.5) ? [product(shape)] : pick([[2 ** 31, 2 ** 31], [-1], [NaN], [1.5], [product(shape) + 1], 'x'])];
    }
    case 'sharesMemory': return [chance(0.5) && live ? viewOf(t, t.shape) : randomTensor()];
    default: return [];
  }
}

function checkMethodResult(method, t, args, value) {
  const n = product(t.shape);
  const bad = (what) => problem('bad result', `tensor.${method} ${what}`);
  switch (method) {
    case 'read': {
      const Ctor = { float32: Float32Array, uint8: Uint8Array, int32: Int32Array }[t.dtype];
      if (!(value instanceof Ctor) || value.length !== n) bad(`returned ${describe(value)} for ${describe(t)}`);
      break;
    }
    case 'write': case 'copyFrom': if (value !== t) bad('did not return this'); break;
    case 'to': case 'reshape': {
      if (!(value instanceof NativeTensor)) return bad('did not return a tensor');
      track(value);
      if (value.dtype !== t.dtype) bad('changed the dtype');
      if (value.disposed) bad('returned a disposed tensor');
      if (method === 'reshape' && !hasGetter(args[0]) && (String(value.shape) !== String(args[0]) || !value.sharesMemory(t))) bad('is not a view');
      if (method === 'to' && (String(value.shape) !== String(t.shape) || value.sharesMemory(t))) bad('is not a copy');
      break;
    }
    case 'sharesMemory': if (typeof value !== 'boolean') bad('did not return a boolean'); break;
    default: break;
  }
}

function callMethod(target) {
  const [, member] = target.split('.');
  const t = receiver();
  const descriptor = Object.getOwnPropertyDescriptor(NativeTensor.prototype, member);
  const fn = descriptor && (descriptor.get || descriptor.value);
  if (typeof fn !== 'function') return problem('missing method', `NativeTensor.prototype.${member} is not a function`);
  const isGetter = Boolean(descriptor.get);
  let self = t;
  let args = isGetter ? [] : methodArgs(member, t);
  const wrongThis = chance(0.12);
  if (wrongThis) self = junk();
  if (chance(0.2)) args = mutate(args);
  const result = invoke(target, TENSOR_PREFIXES, fn, args, self);
  if (result.ok && !wrongThis) checkMethodResult(member, t, args, result.value);
}

function callConstructor() {
  const args = randomArgs().slice(0, 3);
  const how = int(0, 3);
  const fn = how === 0 ? (...a) => new NativeTensor(...a)
    : how === 1 ? (...a) => NativeTensor(...a)
      : how === 2 ? (...a) => Reflect.construct(NativeTensor, a, Object)
        : (...a) => new (class Sub extends NativeTensor {})(...a);
  const result = invoke('NativeTensor.constructor', TENSOR_PREFIXES.concat(
    how === 1 ? ['Class constructor'] : []), fn, args);
  if (result.ok) problem('constructed', `new NativeTensor(${args.map(describe).join(', ')}) succeeded from JavaScript`);
}

// ---- directed cases ------------------------------------------------------------------------

function directed() {
  const expectThrow = (label, prefix, fn, { orSuccess = false } = {}) => {
    const target = 'directed';
    const result = invoke(target, [prefix], fn, [], undefined, label);
    if (result.ok) {
      if (result.value instanceof NativeTensor) {
        try {
          result.value.dispose();
        } catch {
          // not a real tensor
        }
      }
      if (!orSuccess) problem('directed case', `${label} did not throw`);
    }
    return result;
  };
  // Enormous sizes: rejected by the element cap, or failing to allocate at once (never swapping).
  expectThrow('empty of 2^50 elements', 'empty:', () => addon.empty([2 ** 20, 2 ** 20, 2 ** 10], 'float32', 'cpu'));
  expectThrow('empty of a 2^31 dimension', 'empty:', () => addon.empty([2 ** 31], 'uint8', 'cpu'));
  expectThrow('empty of 9 dimensions', 'empty:', () => addon.empty(new Array(9).fill(1), 'uint8', 'cpu'));
  expectThrow('empty of 2^39 float32', 'empty:', () => addon.empty([2 ** 30, 2 ** 9], 'float32', 'cpu'), { orSuccess: true });
  expectThrow('empty of 2^40 float32 (4 TiB)', 'empty:', () => addon.empty([2 ** 20, 2 ** 20], 'float32', 'cpu'), { orSuccess: true });
  expectThrow('empty of 2^40 uint8 on cuda:99', 'empty:', () => addon.empty([2 ** 20, 2 ** 20], 'uint8', 'cuda:99'));
  // Tensor views of enormous zero-size shapes cost nothing and must stay consistent.
  const z = addon.empty([0, 2 ** 31 - 1, 2 ** 31 - 1], 'float32', 'cpu');
  expectThrow('reshape of a zero-size tensor to a non-empty one', 'tensor.', () => z.reshape([1]));
  z.dispose();
  // Objects that pass `instanceof NativeTensor` but are not tensors.
  expectThrow('Object.create(NativeTensor.prototype) as a tensor', 'fill:', () => addon.fill(Object.create(NativeTensor.prototype), 1));
  expectThrow('NativeTensor.prototype.shape', 'tensor.', () => NativeTensor.prototype.shape);
  expectThrow('read with this = {}', 'tensor.', () => NativeTensor.prototype.read.call({}));
  if (foreignWrapped) {
    const dressed = () => Object.setPrototypeOf(foreignWrapped(), NativeTensor.prototype);
    expectThrow('another addon\'s object as a tensor', 'fill:', () => addon.fill(dressed(), 1));
    expectThrow('another addon\'s object as this of read', 'tensor.', () => NativeTensor.prototype.read.call(dressed()));
    expectThrow('another addon\'s object as this of shape', 'tensor.',
      () => Object.getOwnPropertyDescriptor(NativeTensor.prototype, 'shape').get.call(dressed()));
  }
}

// ---- main loop -----------------------------------------------------------------------------

const exportNames = Object.keys(addon).filter((k) => typeof addon[k] === 'function' && k !== 'NativeTensor');
const methodTargets = [...METHODS, ...GETTERS].map((m) => `tensor.${m}`);
const targets = [...exportNames.map((n) => ({ name: n, run: () => callExport(n) })),
  ...methodTargets.map((n) => ({ name: n, run: () => callMethod(n) })),
  { name: 'NativeTensor.constructor', run: callConstructor }];
const unplanned = exportNames.filter((n) => !plausible[n]);

const threadsBefore = addon.numThreads();
const start = Date.now();
function cleanup() {
  // Now and then the call's tensors are dropped instead of disposed, so the garbage collector
  // frees them (views before or after their owners), as it does for a user who forgets.
  if (chance(0.05)) {
    created = [];
    return;
  }
  for (const t of created) {
    try {
      t.dispose();
    } catch {
      // not ours to dispose (a fake); ignore
    }
  }
  created = [];
}

directed();
cleanup();
let round = 0;
let outOfTime = false;
for (;;) {
  let busy = false;
  for (const target of targets) {
    if (statsOf(target.name).calls >= callsPerTarget) continue;
    busy = true;
    const t0 = performance.now();
    try {
      target.run();
    } catch (e) {
      problem('fuzzer harness error', (e && e.stack) || String(e));  // a bug in this file, not the addon
    }
    cleanup();
    statsOf(target.name).ms += performance.now() - t0;
  }
  round += 1;
  if (!busy) break;
  if ((round & 7) === 0 && Date.now() - start > timeBudgetMs) {
    outOfTime = true;
    break;
  }
}
addon.setNumThreads(threadsBefore);
const elapsed = (Date.now() - start) / 1000;

// ---- report --------------------------------------------------------------------------------

let total = 0, ok = 0;
const counts = {};
for (const [name, s] of stats) {
  total += s.calls;
  ok += s.ok;
  counts[name] = { calls: s.calls, ok: s.ok, threw: s.threw, messages: s.messages.size, ms: Math.round(s.ms),
    aliasChecks: s.aliasChecks || 0 };
  if (verbose) {
    console.log(`${name}: ${s.calls} calls, ${s.ok} ok, ${s.threw} threw, ${s.aliasChecks || 0} alias checks, ${Math.round(s.ms)} ms`);
    for (const [m, c] of [...s.messages].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`    ${c}\t${m}`);
  }
}
const perExport = exportNames.map((n) => statsOf(n).calls);
const minCalls = Math.min(...perExport);
if (unplanned.length) console.log(`note: no plausible-call generator for ${unplanned.join(', ')} (fuzzed with random arguments only)`);
console.log(`wsr fuzz summary: ${exportNames.length} exports + ${methodTargets.length} tensor members + constructor, ` +
  `${total} calls (${ok} ok, ${total - ok} threw), at least ${minCalls} per export, ${elapsed.toFixed(1)} s` +
  `${outOfTime ? ' (time budget reached)' : ''}, ${aliasChecks} successful calls with shared memory checked against ` +
  `separate copies, ${problems.length} problem(s), seed ${seed}`);
for (const p of problems) console.log(`  - ${p}`);
console.log(`FUZZ_RESULT ${JSON.stringify({ seed, elapsed, total, exports: exportNames, unplanned, problems: problems.length, counts })}`);
process.exitCode = problems.length ? 1 : 0;
