#!/usr/bin/env node
// The cost of a low-rank locally connected layer against the full LC layer it generalises, at the
// paper's CIFAR shapes, batch 128, ranks 1, 3, 9 and full: its extra work is the mixing of the
// banks (forward) and the projection of the bank gradient back onto bases and logits (backward),
// around the same local2d passes. Medians of REPS runs after a warm-up; runs the TypeScript sources.
//   REPS=7 node bench/lowrank_cost.js
const path = require('path');
require('./tsRequire');

const w = require(path.join(__dirname, '..', 'src', 'index.ts'));
const { Tensor, local2d, local2dBackward, lowRankMaterialize, lowRankMaterializeBackward, numThreads } = w;
const reps = Number(process.env.REPS || 7);
const os = require('os');
function median(f) {
  f(); // warm-up
  const t = [];
  for (let i = 0; i < reps; i++) { const t0 = process.hrtime.bigint(); f(); t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  t.sort((a, b) => a - b);
  return t[Math.floor(t.length / 2)];
}
const rnd = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random() * 2 - 1; return a; };
const layers = [
  { name: 'LC1', n: 128, c: 3, h: 32, k: 64, kk: 5, s: 2, o: 14 },
  { name: 'LC2', n: 128, c: 64, h: 14, k: 128, kk: 5, s: 2, o: 5 },
  { name: 'LC3', n: 128, c: 128, h: 5, k: 256, kk: 3, s: 1, o: 3 },
];
console.log(`threads ${numThreads()}, reps ${reps} (median), load average before ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
console.log('layer rank | LC fwd | LC bwd | mix | mix bwd | LR step (fwd+bwd) | LC step | overhead');
for (const L of layers) {
  const P = L.o * L.o;
  const x = Tensor.from(rnd(L.n * L.c * L.h * L.h), [L.n, L.c, L.h, L.h]);
  const wShape = [L.o, L.o, L.k, L.c, L.kk, L.kk];
  const wt = Tensor.from(rnd(P * L.k * L.c * L.kk * L.kk), wShape);
  const bt = Tensor.from(rnd(P * L.k), [L.o, L.o, L.k]);
  const dy = Tensor.from(rnd(L.n * L.k * P), [L.n, L.k, L.o, L.o]);
  const y = Tensor.empty([L.n, L.k, L.o, L.o]);
  const out = { dx: Tensor.empty(x.shape), dw: Tensor.empty(wShape), db: Tensor.empty([L.o, L.o, L.k]) };
  const opts = { stride: L.s };
  const fwd = median(() => local2d(x, wt, bt, opts, y));
  const bwd = median(() => local2dBackward(x, wt, dy, opts, { out }));
  for (const R of [...new Set([1, 3, 9, P])]) {
    const bases = Tensor.from(rnd(R * L.k * L.c * L.kk * L.kk), [R, L.k, L.c, L.kk, L.kk]);
    const bb = Tensor.from(rnd(R * L.k), [R, L.k]);
    const logits = Tensor.from(rnd(P * R), [L.o, L.o, R]);
    const mo = { weight: Tensor.empty(wShape), bias: Tensor.empty([L.o, L.o, L.k]) };
    const go = { dBases: Tensor.empty(bases.shape), dBasisBias: Tensor.empty(bb.shape), dLogits: Tensor.empty(logits.shape) };
    const mix = median(() => lowRankMaterialize(bases, bb, logits, mo));
    const mixb = median(() => lowRankMaterializeBackward(bases, bb, logits, out.dw, out.db, go));
    const lr = fwd + bwd + mix + mixb;
    console.log(`${L.name} R=${R} | ${fwd.toFixed(2)} | ${bwd.toFixed(2)} | ${mix.toFixed(2)} | ${mixb.toFixed(2)} | ${lr.toFixed(2)} | ${(fwd + bwd).toFixed(2)} | +${((100 * (mix + mixb)) / (fwd + bwd)).toFixed(1)}%`);
    [bases, bb, logits, mo.weight, mo.bias, go.dBases, go.dBasisBias, go.dLogits].forEach((t) => t.dispose());
  }
}
console.log(`load average after ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
