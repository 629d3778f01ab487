// A real learning test: Adam steps through forward, softmax cross-entropy and backward, as the
// training loop drives them, on a small separable two-class problem; the CNN and its converted twin.
import { Sequential } from '../src/nn/model';
import { NetworkSpec } from '../src/nn/spec';
import { readLossStats, softmaxCrossEntropy } from '../src/ops/activation';
import { Adam } from '../src/ops/optim';
import { Tensor } from '../src/tensor';
import { testDevices } from './helpers/devices';
import { Random, random } from './helpers/random';

const NET: NetworkSpec = {
  name: 'halves-cnn',
  inputShape: [1, 6, 6],
  classes: 2,
  layers: [
    { type: 'conv', filters: 3, kernel: 3 },
    { type: 'relu' },
    { type: 'local', filters: 4, kernel: 2, stride: 2 },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 2 },
  ],
};

/** Images whose left (class 0) or right (class 1) half is bright, plus uniform noise. */
function halves(rng: Random, n: number, device: string): { x: Tensor; labels: Tensor } {
  const pixels = new Float32Array(n * 36);
  const labels = new Uint8Array(n);
  for (let s = 0; s < n; s++) {
    labels[s] = s % 2;
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 6; j++) {
        const bright = (j < 3) === (labels[s] === 0);
        pixels[s * 36 + i * 6 + j] = (bright ? 0.6 : 0.1) + 0.3 * rng.next();
      }
  }
  return { x: Tensor.from(pixels, [n, 1, 6, 6], { device }), labels: Tensor.from(labels, [n], { device }) };
}

/** Runs `steps` full-batch Adam steps; returns the loss and accuracy before and after. */
function train(
  model: Sequential,
  x: Tensor,
  labels: Tensor,
  steps: number,
): { first: number; last: number; accuracy: number } {
  const n = x.shape[0];
  const params = model.parameters();
  const adam = new Adam({ lr: 0.02 });
  const stats = Tensor.zeros([2], { device: model.device });
  const losses: number[] = [];
  try {
    for (let step = 0; step <= steps; step++) {
      const logits = model.forward(x, true);
      const { dlogits } = softmaxCrossEntropy(logits, labels, { stats });
      losses.push(readLossStats(stats, n).loss);
      if (step === steps || !dlogits) break;
      model.backward(dlogits);
      dlogits.dispose();
      adam.step(params.map((p) => p.value), params.map((p) => p.grad));
    }
    return { first: losses[0], last: losses[losses.length - 1], accuracy: readLossStats(stats, n).accuracy };
  } finally {
    stats.dispose();
    adam.dispose();
  }
}

function accuracyOn(model: Sequential, x: Tensor, labels: Tensor): number {
  const { stats, dlogits } = softmaxCrossEntropy(model.forward(x, false), labels, { gradient: false });
  try {
    return readLossStats(stats, x.shape[0]).accuracy;
  } finally {
    stats.dispose();
    dlogits?.dispose();
  }
}

describe.each(testDevices)('learning on %s', (device) => {
  test('Adam steps on a separable two-class problem drive the loss down, for the CNN and its FCN', () => {
    const rng = random();
    const train1 = halves(rng, 32, device);
    const test1 = halves(rng, 64, device);
    const cnn = Sequential.create(NET, { device, seed: rng.int(0, 2 ** 31) });
    const fcn = cnn.toLocal();
    try {
      const cnnRun = train(cnn, train1.x, train1.labels, 40);
      const cnnTest = accuracyOn(cnn, test1.x, test1.labels);
      // The converted model starts where the CNN started (same function) and learns as well.
      const fcnRun = train(fcn, train1.x, train1.labels, 40);
      const fcnTest = accuracyOn(fcn, test1.x, test1.labels);
      const report = JSON.stringify({ seed: rng.seed, cnnRun, cnnTest, fcnRun, fcnTest });
      const expectations: [boolean, string][] = [
        [cnnRun.first > 0.3, 'CNN starts untrained'],
        [cnnRun.last < 0.25 * cnnRun.first, 'CNN loss falls below a quarter'],
        [cnnRun.accuracy === 1, 'CNN fits the training set'],
        [cnnTest >= 0.95, 'CNN generalises'],
        [Math.abs(fcnRun.first - cnnRun.first) < 1e-5, 'FCN starts at the CNN loss'],
        [fcnRun.last < 0.25 * fcnRun.first, 'FCN loss falls below a quarter'],
        [fcnTest >= 0.95, 'FCN generalises'],
      ];
      for (const [ok, what] of expectations) if (!ok) throw new Error(`${what}: ${report}`);
    } finally {
      [train1.x, train1.labels, test1.x, test1.labels].forEach((t) => t.dispose());
      cnn.dispose();
      fcn.dispose();
    }
  });
});
