// The whole model's backward pass against finite differences of a float64 loss computed from
// model.forward, for every parameter (sampled indices), on every test device; CPU/CUDA parity.
import { Sequential } from '../src/nn/model';
import { NetworkSpec } from '../src/nn/spec';
import { Tensor } from '../src/tensor';
import { dot, expectClose, sampleIndices } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';
import { Random, random } from './helpers/random';

/** The brief's small network: conv, relu, local, relu, flatten, dense, relu, dense. */
const CONV_NET: NetworkSpec = {
  name: 'small-cnn',
  inputShape: [3, 9, 11],
  classes: 3,
  layers: [
    { type: 'conv', filters: 4, kernel: 3, stride: 2 },
    { type: 'relu' },
    { type: 'local', filters: 5, kernel: 2, stride: 1 },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 6 },
    { type: 'relu' },
    { type: 'dense', units: 3 },
  ],
};

/** Locally connected layers only (padded, rectangular kernel and stride, then 'same'), and dense. */
const LOCAL_NET: NetworkSpec = {
  name: 'small-fcn',
  inputShape: [2, 7, 8],
  classes: 4,
  layers: [
    { type: 'local', filters: 3, kernel: [3, 2], stride: [2, 1], padding: 1 },
    { type: 'relu' },
    { type: 'local', filters: 4, kernel: 2, padding: 'same' },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 5 },
    { type: 'relu' },
    { type: 'dense', units: 4 },
  ],
};

const BATCH = 2;
/** Largest slope spread (times the step) taken for float32 rounding rather than a ReLU kink. */
const KINK_SPREAD = 3e-7;

interface Check {
  name: string;
  checked: number;
  kinks: number;
}

/**
 * With the loss L = Σ logits·g (float64 on the host), L is piecewise linear in any single parameter
 * (ReLUs are the pieces), so a central difference is exact up to float32 rounding unless a ReLU
 * switches inside [θ−ε, θ+ε]. That shows as piecewise slopes that disagree; such indices are retried
 * with smaller steps, then skipped and counted.
 */
function gradientCheck(model: Sequential, rng: Random): Check[] {
  const [c, h, w] = model.spec.inputShape;
  const x = Tensor.from(rng.uniform(BATCH * c * h * w), [BATCH, c, h, w], { device: model.device });
  const gValues = rng.uniform(BATCH * model.spec.classes);
  const g = Tensor.from(gValues, [BATCH, model.spec.classes], { device: model.device });
  const loss = (): number => dot(model.forward(x, false).toArray(), gValues);
  try {
    model.forward(x, true);
    model.backward(g);
    return model.parameters().map((p) => {
      const analytic = p.grad.toArray();
      const values = p.value.toArray();
      const lossAtStart = loss();
      const indices = sampleIndices(values.length, 8, rng.next);
      const at = (i: number, v: number): number => {
        values[i] = v;
        p.value.write(values);
        return loss();
      };
      /**
       * The central difference at step eps, or null when a ReLU switches inside [θ−eps, θ+eps]: then the
       * slopes of the four half-step pieces disagree. Float32 rounding moves L by up to about 1e-7, so
       * the slopes scatter by up to about 2e-7/eps without a kink; a kink small enough to pass as
       * scatter shifts the central difference by at most half the spread it leaves.
       */
      const centralDifference = (i: number, eps: number): number | null => {
        const saved = values[i];
        const points = [-eps, -eps / 2, 0, eps / 2, eps].map((d) => Math.fround(saved + d));
        const losses = points.map((v) => (v === saved ? lossAtStart : at(i, v)));
        at(i, saved);
        const slopes = [0, 1, 2, 3].map((k) => (losses[k + 1] - losses[k]) / (points[k + 1] - points[k]));
        const spread = Math.max(...slopes) - Math.min(...slopes);
        if (spread > KINK_SPREAD / eps + 1e-4 * Math.abs(slopes[2])) return null;
        return (losses[4] - losses[0]) / (points[4] - points[0]);
      };
      let kinks = 0;
      let checked = 0;
      for (const i of indices) {
        // A large step keeps float32 rounding negligible; smaller ones avoid kinks (a shared conv
        // weight or bias moves every output position at once).
        let found: { eps: number; difference: number } | null = null;
        for (const eps of [1e-2, 1e-3, 1e-4]) {
          const difference = centralDifference(i, eps);
          if (difference !== null) {
            found = { eps, difference };
            break;
          }
        }
        if (found === null) {
          kinks++;
          continue;
        }
        const what = `${p.name}[${i}] on ${model.device}, eps ${found.eps} (seed ${rng.seed})`;
        expectClose([found.difference], [analytic[i]], what, { rtol: 1e-3, atol: Math.max(2e-5, 2.5e-7 / found.eps) });
        checked++;
      }
      return { name: p.name, checked, kinks };
    });
  } finally {
    x.dispose();
    g.dispose();
  }
}

describe.each(testDevices)('model gradients on %s', (device) => {
  test.each([
    ['conv, local, dense', CONV_NET],
    ['padded local, same local, dense', LOCAL_NET],
  ])('%s: backward matches finite differences for every parameter', (_title, spec) => {
    const rng = random();
    const model = Sequential.create(spec, { device, seed: rng.int(0, 2 ** 31) });
    try {
      // Non-zero biases, so the bias gradients are checked away from the initial point too.
      for (const p of model.parameters()) {
        if (p.name.endsWith('.bias')) p.value.write(rng.uniform(p.value.size, -0.2, 0.2));
      }
      const checks = gradientCheck(model, rng);
      expect(checks.map((ch) => ch.name)).toEqual(model.parameters().map((p) => p.name));
      const checked = checks.reduce((n, ch) => n + ch.checked, 0);
      const kinks = checks.reduce((n, ch) => n + ch.kinks, 0);
      expect(kinks).toBeLessThan(checked / 3);
      checks.forEach((ch) => expect(ch.checked).toBeGreaterThan(0));
    } finally {
      model.dispose();
    }
  });

  test('backward overwrites the gradients (no accumulation) and leaves dlogits unchanged', () => {
    const rng = random();
    const model = Sequential.create(CONV_NET, { device, seed: 3 });
    const x = Tensor.from(rng.uniform(4 * 3 * 9 * 11), [4, 3, 9, 11], { device });
    const gValues = rng.uniform(12);
    const g = Tensor.from(gValues, [4, 3], { device });
    try {
      model.forward(x, true);
      model.backward(g);
      const first = model.parameters().map((p) => p.grad.toArray());
      model.forward(x, true);
      model.backward(g);
      model.parameters().forEach((p, i) =>
        expectClose(p.grad.toArray(), first[i], `${p.name} (seed ${rng.seed})`, { rtol: 1e-5, atol: 1e-7 }),
      );
      expect(g.toArray()).toEqual(gValues);
    } finally {
      [x, g].forEach((t) => t.dispose());
      model.dispose();
    }
  });
});

describeCuda('CPU/CUDA parity of the small network', () => {
  test.each([
    ['conv, local, dense', CONV_NET],
    ['padded local, same local, dense', LOCAL_NET],
  ])('%s: logits and every gradient agree', (_title, spec) => {
    const rng = random();
    const seed = rng.int(0, 2 ** 31);
    const models = ['cpu', 'cuda:0'].map((device) => Sequential.create(spec, { device, seed }));
    const [c, h, w] = spec.inputShape;
    const n = 5;
    const xValues = rng.uniform(n * c * h * w);
    const gValues = rng.uniform(n * spec.classes);
    try {
      const results = models.map((model) => {
        const x = Tensor.from(xValues, [n, c, h, w], { device: model.device });
        const g = Tensor.from(gValues, [n, spec.classes], { device: model.device });
        try {
          const logits = model.forward(x, true).toArray();
          model.backward(g);
          return { logits, grads: model.parameters().map((p) => p.grad.toArray()) };
        } finally {
          x.dispose();
          g.dispose();
        }
      });
      const [cpu, gpu] = results;
      expectClose(gpu.logits, cpu.logits, `logits (seed ${rng.seed})`, { rtol: 1e-4, atol: 1e-5 });
      models[0].parameters().forEach((p, i) =>
        expectClose(gpu.grads[i], cpu.grads[i], `${p.name} (seed ${rng.seed})`, { rtol: 1e-4, atol: 1e-5 }),
      );
    } finally {
      models.forEach((m) => m.dispose());
    }
  });
});
