import { Tensor } from '../src/tensor';
import { memoryStats } from '../src/device';
import { Adam, AdamHyperparameters, Optimizer, SGD, SGDHyperparameters, adamUpdate, sgdUpdate } from '../src/ops/optim';
import { random, Random } from './helpers/random';
import { expectClose } from './helpers/compare';
import { describeCuda, testDevices } from './helpers/devices';

// float64 references, written straight from the definitions (PyTorch semantics).
function sgdReference(p: Float64Array, g: ArrayLike<number>, vel: Float64Array, h: SGDHyperparameters): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + h.weightDecay * p[i];
    let step = gi;
    if (h.momentum !== 0) {
      vel[i] = h.momentum * vel[i] + gi;
      step = h.nesterov ? gi + h.momentum * vel[i] : vel[i];
    }
    p[i] -= h.lr * step;
  }
}

function adamReference(
  p: Float64Array,
  g: ArrayLike<number>,
  m: Float64Array,
  v: Float64Array,
  t: number,
  h: AdamHyperparameters,
): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + h.weightDecay * p[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
    const mHat = m[i] / (1 - h.beta1 ** t);
    const vHat = v[i] / (1 - h.beta2 ** t);
    p[i] -= (h.lr * mHat) / (Math.sqrt(vHat) + h.epsilon);
  }
}

const f64 = (a: ArrayLike<number>): Float64Array => Float64Array.from(a);
const values = (t: Tensor): Float32Array => t.toArray() as Float32Array;
const tol = { rtol: 2e-5, atol: 2e-6 };

const sgdConfigs: SGDHyperparameters[] = [
  { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
  { lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0 },
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { lr: 0.3, momentum: 0.5, nesterov: false, weightDecay: 0.2 },
];
const adamConfigs: AdamHyperparameters[] = [
  { lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
  { lr: 0.05, beta1: 0.5, beta2: 0.9, epsilon: 1e-3, weightDecay: 0.1 },
  { lr: 0.01, beta1: 0, beta2: 0, epsilon: 1e-8, weightDecay: 0 },
];
const shapes = [[1], [17], [3, 5, 7], [2, 1, 3, 1]];

describe('sgdUpdate', () => {
  test.each(testDevices)('matches hand-computed steps on %s', (device) => {
    const h = { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 };
    const p = Tensor.from([1, -2], [2], { device });
    const g = Tensor.from([0.5, 0.25], [2], { device });
    const v = Tensor.zeros([2], { device });
    sgdUpdate(p, g, v, h); // v = g; p -= 0.1·g
    expectClose(values(p), [0.95, -2.025], 'sgd step 1');
    sgdUpdate(p, g, v, h); // v = 0.9·g + g = 1.9·g
    expectClose(values(v), [0.95, 0.475], 'sgd velocity 2');
    expectClose(values(p), [0.855, -2.0725], 'sgd step 2');
    // Nesterov with weight decay 0.5 from p = 2: g' = 0.5 + 1 = 1.5, v = 1.5, step = 1.5 + 0.9·1.5.
    const q = Tensor.from([2], [1], { device });
    const gq = Tensor.from([0.5], [1], { device });
    const vq = Tensor.zeros([1], { device });
    sgdUpdate(q, gq, vq, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.5 });
    expectClose(values(q), [2 - 0.1 * 2.85], 'nesterov step');
    for (const t of [p, g, v, q, gq, vq]) t.dispose();
  });

  test.each(testDevices)('matches a float64 reference over several steps on %s', (device) => {
    const rnd = random();
    for (const shape of shapes) {
      for (const h of sgdConfigs) {
        const n = shape.reduce((a, b) => a * b, 1);
        const p0 = rnd.uniform(n);
        const v0 = rnd.uniform(n, -0.1, 0.1);
        const p = Tensor.from(p0, shape, { device });
        const v = Tensor.from(v0, shape, { device });
        const pRef = f64(p0);
        const vRef = f64(v0);
        for (let step = 0; step < 4; step++) {
          const g0 = rnd.uniform(n);
          const g = Tensor.from(g0, shape, { device });
          sgdUpdate(p, g, v, h);
          sgdReference(pRef, g0, vRef, h);
          g.dispose();
        }
        const what = `sgd [${shape}] ${JSON.stringify(h)} seed ${rnd.seed}`;
        expectClose(values(p), pRef, `${what} param`, tol);
        expectClose(values(v), vRef, `${what} velocity`, tol);
        p.dispose();
        v.dispose();
      }
    }
  });

  test('momentum 0 leaves the velocity untouched; empty tensors are a no-op', () => {
    const p = Tensor.from([1, 2, 3], [3], { device: 'cpu' });
    const g = Tensor.from([1, 1, 1], [3], { device: 'cpu' });
    const v = Tensor.from([7, 8, 9], [3], { device: 'cpu' });
    sgdUpdate(p, g, v, { lr: 0.5, momentum: 0, nesterov: false, weightDecay: 0 });
    expect(Array.from(values(p))).toEqual([0.5, 1.5, 2.5]);
    expect(Array.from(values(v))).toEqual([7, 8, 9]);
    const e = [0, 1, 2].map(() => Tensor.empty([0], { device: 'cpu' }));
    expect(() => sgdUpdate(e[0], e[1], e[2], { lr: 1, momentum: 0.9, nesterov: false, weightDecay: 0 })).not.toThrow();
    for (const t of [p, g, v, ...e]) t.dispose();
  });
});

describe('adamUpdate', () => {
  test.each(testDevices)('matches hand-computed steps on %s', (device) => {
    // A constant gradient makes m̂ = g and v̂ = g² at every step: each step moves lr·g/(|g|+ε).
    const h = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 };
    const p = Tensor.from([1, -1, 0.5], [3], { device });
    const g = Tensor.from([0.5, -2, 1e-3], [3], { device });
    const m = Tensor.zeros([3], { device });
    const v = Tensor.zeros([3], { device });
    adamUpdate(p, g, m, v, 1, h);
    expectClose(values(m), [0.05, -0.2, 1e-4], 'adam m after step 1');
    expectClose(values(v), [0.00025, 0.004, 1e-9], 'adam v after step 1', { rtol: 1e-5, atol: 1e-12 });
    const moved = (p0: number, gi: number, steps: number): number => p0 - (steps * 0.1 * gi) / (Math.abs(gi) + 1e-8);
    expectClose(values(p), [moved(1, 0.5, 1), moved(-1, -2, 1), moved(0.5, 1e-3, 1)], 'adam step 1', { rtol: 1e-6, atol: 1e-6 });
    adamUpdate(p, g, m, v, 2, h);
    adamUpdate(p, g, m, v, 3, h);
    expectClose(values(p), [moved(1, 0.5, 3), moved(-1, -2, 3), moved(0.5, 1e-3, 3)], 'adam step 3', { rtol: 1e-6, atol: 1e-6 });
    for (const t of [p, g, m, v]) t.dispose();
  });

  test.each(testDevices)('matches a float64 reference over several steps on %s', (device) => {
    const rnd = random();
    for (const shape of shapes) {
      for (const h of adamConfigs) {
        const n = shape.reduce((a, b) => a * b, 1);
        const p0 = rnd.uniform(n);
        const p = Tensor.from(p0, shape, { device });
        const m = Tensor.zeros(shape, { device });
        const v = Tensor.zeros(shape, { device });
        const pRef = f64(p0);
        const mRef = new Float64Array(n);
        const vRef = new Float64Array(n);
        for (let t = 1; t <= 5; t++) {
          const g0 = rnd.uniform(n);
          const g = Tensor.from(g0, shape, { device });
          adamUpdate(p, g, m, v, t, h);
          adamReference(pRef, g0, mRef, vRef, t, h);
          g.dispose();
        }
        const what = `adam [${shape}] ${JSON.stringify(h)} seed ${rnd.seed}`;
        expectClose(values(p), pRef, `${what} param`, tol);
        expectClose(values(m), mRef, `${what} m`, tol);
        expectClose(values(v), vRef, `${what} v`, { rtol: 2e-5, atol: 1e-9 });
        for (const t of [p, m, v]) t.dispose();
      }
    }
  });
});

// Fresh parameter/gradient sets: a few small tensors of different shapes.
function makeParams(rnd: Random, device: string): { p0: Float32Array[]; params: Tensor[]; shapes: number[][] } {
  const shapes = [[4, 3], [5], [2, 2, 2]];
  const p0 = shapes.map((s) => rnd.uniform(s.reduce((a, b) => a * b, 1)));
  return { p0, shapes, params: p0.map((a, i) => Tensor.from(a, shapes[i], { device })) };
}

describe('SGD and Adam classes', () => {
  test.each(testDevices)('SGD.step follows the reference and creates its state lazily on %s', (device) => {
    const rnd = random();
    const { p0, shapes: s, params } = makeParams(rnd, device);
    const opt = new SGD({ lr: 0.05, nesterov: true });
    expect(opt.momentum).toBe(0.9);
    expect(opt.state()).toEqual({ step: 0, velocity: [] });
    const ref = p0.map(f64);
    const vel = p0.map((a) => new Float64Array(a.length));
    for (let step = 0; step < 3; step++) {
      const g0 = s.map((shape) => rnd.uniform(shape.reduce((a, b) => a * b, 1)));
      const grads = g0.map((a, i) => Tensor.from(a, s[i], { device }));
      opt.step(params, grads);
      ref.forEach((r, i) => sgdReference(r, g0[i], vel[i], { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0 }));
      grads.forEach((g) => g.dispose());
    }
    params.forEach((p, i) => expectClose(values(p), ref[i], `SGD param ${i} seed ${rnd.seed}`, tol));
    const state = opt.state();
    expect(state.step).toBe(3);
    state.velocity.forEach((v, i) => expectClose(v, vel[i], `SGD velocity ${i} seed ${rnd.seed}`, tol));
    expect(opt.iterations).toBe(3);
    opt.dispose();
    params.forEach((p) => p.dispose());
  });

  test.each(testDevices)('Adam: a checkpoint restored into a fresh optimizer continues exactly on %s', (device) => {
    const rnd = random();
    const { p0, shapes: s } = makeParams(rnd, device);
    const grads = [0, 1, 2, 3].map(() => s.map((shape) => rnd.uniform(shape.reduce((a, b) => a * b, 1))));
    const asTensors = (list: Float32Array[]): Tensor[] => list.map((a, i) => Tensor.from(a, s[i], { device }));

    // Uninterrupted: four steps.
    const a = new Adam({ lr: 0.01 });
    const pa = asTensors(p0);
    for (const g of grads) {
      const gt = asTensors(g);
      a.step(pa, gt);
      gt.forEach((t) => t.dispose());
    }
    // Two steps, checkpoint, a fresh optimizer, two more steps.
    const b = new Adam({ lr: 0.01 });
    const pb = asTensors(p0);
    for (const g of grads.slice(0, 2)) {
      const gt = asTensors(g);
      b.step(pb, gt);
      gt.forEach((t) => t.dispose());
    }
    const checkpoint = b.state();
    expect(checkpoint.step).toBe(2);
    expect(checkpoint.m.map((x) => x.length)).toEqual([12, 5, 8]);
    b.dispose();
    const c = new Adam({ lr: 0.01 });
    c.loadState(checkpoint);
    expect(c.state().m).toEqual(checkpoint.m);
    for (const g of grads.slice(2)) {
      const gt = asTensors(g);
      c.step(pb, gt);
      gt.forEach((t) => t.dispose());
    }
    pa.forEach((p, i) => expect(values(pb[i])).toEqual(values(p)));
    expect(c.state()).toEqual(a.state());

    // The float64 reference of the same four steps.
    const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 };
    const ref = p0.map(f64);
    const m = p0.map((x) => new Float64Array(x.length));
    const v = p0.map((x) => new Float64Array(x.length));
    grads.forEach((g, t) => ref.forEach((r, i) => adamReference(r, g[i], m[i], v[i], t + 1, h)));
    pa.forEach((p, i) => expectClose(values(p), ref[i], `Adam param ${i} seed ${rnd.seed}`, tol));

    // loadState into live state writes in place.
    a.loadState(checkpoint);
    expect(a.state()).toEqual(checkpoint);
    for (const o of [a, c]) o.dispose();
    [...pa, ...pb].forEach((p) => p.dispose());
  });

  test('state tensors are allocated at the first step and freed by dispose', () => {
    const p = Tensor.zeros([10], { device: 'cpu' });
    const g = Tensor.zeros([10], { device: 'cpu' });
    const before = memoryStats();
    const opt = new Adam();
    expect(memoryStats().cpuAllocations).toBe(before.cpuAllocations);
    opt.step([p], [g]);
    expect(memoryStats().cpuAllocations).toBe(before.cpuAllocations + 2);
    opt.dispose();
    expect(memoryStats()).toEqual(before);
    expect(opt.iterations).toBe(0);
    p.dispose();
    g.dispose();
  });

  test('rejects bad hyperparameters, changing parameter lists and mismatched checkpoints', () => {
    expect(() => new Adam({ lr: -1 })).toThrow(/Adam: lr must be a finite number >= 0, got -1/);
    expect(() => new Adam({ beta2: 1 })).toThrow(/Adam: beta2 must be in \[0, 1\), got 1/);
    expect(() => new Adam({ epsilon: 0 })).toThrow(/Adam: epsilon must be a finite number > 0, got 0/);
    expect(() => new SGD({ momentum: NaN })).toThrow(/SGD: momentum must be in \[0, 1\), got NaN/);
    const p = [Tensor.zeros([3], { device: 'cpu' }), Tensor.zeros([2], { device: 'cpu' })];
    const g = [Tensor.zeros([3], { device: 'cpu' }), Tensor.zeros([2], { device: 'cpu' })];
    const opt = new SGD();
    expect(() => opt.step(p, g.slice(0, 1))).toThrow(/SGD.step: 2 params but 1 grads/);
    expect(() => opt.step(p, [g[1], g[0]])).toThrow(/SGD.step: grads\[0\] has shape \[2\] but params\[0\] has \[3\]/);
    opt.step(p, g);
    expect(() => opt.step(p.slice(0, 1), g.slice(0, 1))).toThrow(/got 1 params but the optimizer state holds 2/);
    expect(() => opt.loadState({ step: 1, velocity: [new Float32Array(3)] })).toThrow(/state for 1 params, the optimizer has 2/);
    expect(() => opt.loadState({ step: 1, velocity: [new Float32Array(3), new Float32Array(5)] })).toThrow(
      /velocity\[1\] has 5 values, expected 2/,
    );
    expect(() => opt.loadState({ step: -1, velocity: [] })).toThrow(/step must be an integer >= 0, got -1/);
    const fresh = new Adam();
    fresh.loadState({ step: 3, m: [new Float32Array(4), new Float32Array(2)], v: [new Float32Array(4), new Float32Array(2)] });
    expect(() => fresh.step(p, g)).toThrow(/Adam.step: loaded m\[0\] has 4 values but params\[0\] has 3/);
    for (const t of [...p, ...g]) t.dispose();
    opt.dispose();
    fresh.dispose();
  });
});

describe('the Optimizer interface', () => {
  // Generic code, as the checkpoints use it: named arrays out, into a fresh optimizer of the same
  // kind, and the next steps match those of the uninterrupted one exactly.
  test.each([
    ['adam', () => new Adam({ lr: 0.01 }), ['m', 'v']],
    ['sgd', () => new SGD({ lr: 0.05, nesterov: true }), ['velocity']],
  ] as [string, () => Optimizer, string[]][])('%s: exportState / importState round-trip and continue exactly', (kind, make, slots) => {
    const rnd = random();
    const { p0, shapes: s } = makeParams(rnd, 'cpu');
    const grads = [0, 1, 2].map(() => s.map((shape) => rnd.uniform(shape.reduce((a, b) => a * b, 1))));
    const asTensors = (list: Float32Array[]): Tensor[] => list.map((a, i) => Tensor.from(a, s[i], { device: 'cpu' }));
    const run = (opt: Optimizer, params: Tensor[], gs: Float32Array[][]): void => {
      for (const g of gs) {
        const gt = asTensors(g);
        opt.step(params, gt);
        gt.forEach((t) => t.dispose());
      }
    };
    const a = make();
    expect(a.exportState()).toEqual({ meta: { kind, step: 0, parameters: 0 }, arrays: [] });
    const pa = asTensors(p0);
    run(a, pa, grads);
    const b = make();
    const pb = asTensors(p0);
    run(b, pb, grads.slice(0, 2));
    const { meta, arrays } = b.exportState();
    expect(meta).toEqual({ kind, step: 2, parameters: 3 });
    expect(arrays.map((x) => [x.name, x.parameter, x.values.length])).toEqual(
      slots.flatMap((slot) => s.map((shape, i) => [`${slot}/${i}`, i, shape.reduce((x, y) => x * y, 1)])),
    );
    b.dispose();
    const c = make();
    const byName = new Map(arrays.map((x) => [x.name, x.values]));
    c.importState(meta, byName, 'ckpt');
    run(c, pb, grads.slice(2));
    pa.forEach((p, i) => expect(values(pb[i])).toEqual(values(p)));
    expect(c.exportState()).toEqual(a.exportState());

    const other = kind === 'adam' ? new SGD() : new Adam();
    expect(() => other.importState(meta, byName, 'ckpt')).toThrow(new RegExp(`ckpt: holds ${kind} optimizer state, but the optimizer is ${other.kind}`));
    const missing = new Map(byName);
    missing.delete(`${slots[0]}/1`);
    expect(() => make().importState(meta, missing, 'ckpt')).toThrow(new RegExp(`ckpt: .* state ${slots[0]}/1 is missing`));
    for (const o of [a, c, other]) o.dispose();
    [...pa, ...pb].forEach((p) => p.dispose());
  });
});

describe('optimizer exports reject bad input', () => {
  const cpu = { device: 'cpu' };
  const sgd = { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 };
  const adam = { lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 };

  test('shapes, dtypes, aliasing and argument counts', () => {
    const p = Tensor.zeros([2, 3], cpu);
    const g = Tensor.zeros([2, 3], cpu);
    const v = Tensor.zeros([2, 3], cpu);
    const m = Tensor.zeros([2, 3], cpu);
    const wrong = Tensor.zeros([3, 2], cpu);
    const bytes = Tensor.zeros([2, 3], { device: 'cpu', dtype: 'uint8' });
    expect(() => sgdUpdate(p, wrong, v, sgd)).toThrow(/^sgdUpdate: grad must have shape \[2,3\], got \[3,2\]/);
    expect(() => sgdUpdate(p, g, wrong, sgd)).toThrow(/^sgdUpdate: velocity must have shape \[2,3\], got \[3,2\]/);
    expect(() => sgdUpdate(bytes as unknown as Tensor, g, v, sgd)).toThrow(/^sgdUpdate: param must be float32, got uint8/);
    expect(() => sgdUpdate(p, g, p, sgd)).toThrow(/^sgdUpdate: velocity and param must not share memory/);
    expect(() => sgdUpdate(p, g, g.reshape([6]).reshape([2, 3]), sgd)).toThrow(/velocity and grad must not share memory/);
    expect(() => adamUpdate(p, g, m, m, 1, adam)).toThrow(/^adamUpdate: v and m must not share memory/);
    expect(() => adamUpdate(p, g, m, wrong, 1, adam)).toThrow(/^adamUpdate: v must have shape \[2,3\], got \[3,2\]/);
    const { nativeAddon } = jest.requireActual('../src/native');
    expect(() => nativeAddon().sgdUpdate(p.native, g.native)).toThrow(/^sgdUpdate: expected 7 arguments, got 2/);
    expect(() => nativeAddon().adamUpdate(p.native, 1, m.native, v.native, 0.1, 0.9, 0.99, 1e-7, 1, 0)).toThrow(
      /^adamUpdate: grad must be a tensor, got 1/,
    );
    for (const t of [p, g, v, m, wrong, bytes]) t.dispose();
  });

  test('hyperparameters out of range', () => {
    const [p, g, v, m] = [0, 1, 2, 3].map(() => Tensor.zeros([4], cpu));
    expect(() => sgdUpdate(p, g, v, { ...sgd, lr: -0.1 })).toThrow(/^sgdUpdate: lr must be in .*got -0.1/);
    expect(() => sgdUpdate(p, g, v, { ...sgd, lr: Infinity })).toThrow(/^sgdUpdate: lr must be finite, got Infinity/);
    expect(() => sgdUpdate(p, g, v, { ...sgd, momentum: 1 })).toThrow(/^sgdUpdate: momentum must be in \[0, 1\), got 1/);
    expect(() => sgdUpdate(p, g, v, { ...sgd, momentum: 1 - 1e-12 })).toThrow(/momentum must be in \[0, 1\) in float32/);
    expect(() => sgdUpdate(p, g, v, { ...sgd, weightDecay: -1 })).toThrow(/^sgdUpdate: weightDecay must be in/);
    expect(() => adamUpdate(p, g, m, v, 0, adam)).toThrow(/^adamUpdate: step must be in \[1, \d+\], got 0/);
    expect(() => adamUpdate(p, g, m, v, 1.5, adam)).toThrow(/^adamUpdate: step must be an integer, got 1.5/);
    expect(() => adamUpdate(p, g, m, v, 1, { ...adam, beta1: -0.1 })).toThrow(/^adamUpdate: beta1 must be in \[0, 1\)/);
    expect(() => adamUpdate(p, g, m, v, 1, { ...adam, beta2: 1 })).toThrow(/^adamUpdate: beta2 must be in \[0, 1\)/);
    expect(() => adamUpdate(p, g, m, v, 1, { ...adam, epsilon: 0 })).toThrow(/^adamUpdate: epsilon must be > 0/);
    expect(() => adamUpdate(p, g, m, v, 1, { ...adam, epsilon: 1e-50 })).toThrow(/epsilon must be > 0 and representable/);
    expect(Array.from(values(p))).toEqual([0, 0, 0, 0]); // nothing ran
    for (const t of [p, g, v, m]) t.dispose();
  });
});

describeCuda('optimizers: CPU/CUDA parity', () => {
  const both = ['cpu', 'cuda:0'];

  test('sgdUpdate and adamUpdate give the same results on both devices', () => {
    const rnd = random();
    const shape = [37, 29];
    const n = 37 * 29;
    for (const h of sgdConfigs) {
      const p0 = rnd.uniform(n);
      const [onCpu, onCuda] = both.map((device) => [Tensor.from(p0, shape, { device }), Tensor.zeros(shape, { device })]);
      for (let step = 0; step < 3; step++) {
        const g0 = rnd.uniform(n);
        [onCpu, onCuda].forEach(([p, v], k) => {
          const g = Tensor.from(g0, shape, { device: both[k] });
          sgdUpdate(p, g, v, h);
          g.dispose();
        });
      }
      const what = `sgd parity ${JSON.stringify(h)} seed ${rnd.seed}`;
      ['param', 'velocity'].forEach((name, k) =>
        expectClose(values(onCuda[k]), values(onCpu[k]), `${what} ${name}`, { rtol: 1e-6, atol: 1e-6 }),
      );
      [...onCpu, ...onCuda].forEach((x) => x.dispose());
    }
    for (const h of adamConfigs) {
      const p0 = rnd.uniform(n);
      const [onCpu, onCuda] = both.map((device) => [
        Tensor.from(p0, shape, { device }),
        Tensor.zeros(shape, { device }),
        Tensor.zeros(shape, { device }),
      ]);
      for (let step = 1; step <= 3; step++) {
        const g0 = rnd.uniform(n);
        [onCpu, onCuda].forEach(([p, m, v], k) => {
          const g = Tensor.from(g0, shape, { device: both[k] });
          adamUpdate(p, g, m, v, step, h);
          g.dispose();
        });
      }
      const what = `adam parity ${JSON.stringify(h)} seed ${rnd.seed}`;
      ['param', 'm', 'v'].forEach((name, k) =>
        expectClose(values(onCuda[k]), values(onCpu[k]), `${what} ${name}`, { rtol: 1e-5, atol: 1e-6 }),
      );
      [...onCpu, ...onCuda].forEach((x) => x.dispose());
    }
  });

  test('SGD and Adam classes keep their state on the parameters device', () => {
    const rnd = random();
    const p0 = rnd.uniform(50);
    const g0 = rnd.uniform(50);
    const results: Float32Array[] = [];
    for (const device of both) {
      const p = Tensor.from(p0, [5, 10], { device });
      const g = Tensor.from(g0, [5, 10], { device });
      const adam = new Adam({ lr: 0.01 });
      const sgd = new SGD({ lr: 0.01 });
      const before = memoryStats();
      adam.step([p], [g]);
      sgd.step([p], [g]);
      adam.step([p], [g]);
      const after = memoryStats();
      const onDevice = device === 'cpu' ? after.cpuAllocations - before.cpuAllocations : after.cudaAllocations - before.cudaAllocations;
      expect(onDevice).toBe(3); // m, v and the velocity, on the parameter's device
      results.push(values(p));
      expect(adam.state().m[0].length).toBe(50);
      adam.dispose();
      sgd.dispose();
      p.dispose();
      g.dispose();
    }
    expectClose(results[1], results[0], `class parity seed ${rnd.seed}`, { rtol: 1e-5, atol: 1e-6 });
  });
});
