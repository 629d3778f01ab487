// Runs training steps of a small CNN on the CPU, creating and disposing a fresh input batch, labels,
// loss statistics and gradient every step (the allocation pattern of user code), and prints the
// resident set size and live native allocations after the warm-up and at the end as JSON.
// Usage: node test/memory/train_steps.js STEPS
'use strict';
const path = require('path');
const w = require(path.join(__dirname, '..', '..', 'dist'));

const steps = Number(process.argv[2] || 2000);
const spec = {
  name: 'memory-check',
  inputShape: [3, 12, 12],
  classes: 5,
  layers: [
    { type: 'conv', filters: 8, kernel: 3, stride: 2 }, { type: 'relu' },
    { type: 'local', filters: 6, kernel: 2 }, { type: 'relu' },
    { type: 'flatten' }, { type: 'dense', units: 5 },
  ],
};
w.setNumThreads(2);
const model = w.Sequential.create(spec, { device: 'cpu', seed: 7 });
const optimizer = new w.Adam({ lr: 1e-3 });
const params = model.parameters();
const batch = 16;
const pixels = new Float32Array(batch * 3 * 12 * 12);
const labels = new Uint8Array(batch);

function step(i) {
  for (let k = 0; k < pixels.length; k++) pixels[k] = ((k * 7919 + i * 104729) % 1000) / 1000;
  for (let k = 0; k < batch; k++) labels[k] = (k + i) % 5;
  const x = w.Tensor.from(pixels, [batch, 3, 12, 12], { device: 'cpu' });
  const y = w.Tensor.from(labels, [batch], { device: 'cpu' });
  const logits = model.forward(x, true);
  const { dlogits, stats } = w.softmaxCrossEntropy(logits, y);
  model.backward(dlogits);
  optimizer.step(params.map((p) => p.value), params.map((p) => p.grad));
  const loss = w.readLossStats(stats, batch).loss;
  for (const t of [x, y, dlogits, stats]) t.dispose();
  if (!Number.isFinite(loss)) throw new Error(`step ${i}: loss ${loss}`);
}

const warmup = Math.min(200, steps);
for (let i = 0; i < warmup; i++) step(i);
global.gc?.();
const after = { rss: process.memoryUsage().rss, native: w.memoryStats() };
for (let i = warmup; i < steps; i++) step(i);
global.gc?.();
const end = { rss: process.memoryUsage().rss, native: w.memoryStats() };
process.stdout.write(JSON.stringify({ steps, warmup: after, end }) + '\n');
