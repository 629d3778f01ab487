// Glorot-uniform initialisation: Keras' fans, limits, statistics, seeding, zero biases.
import { INIT_DOMAIN, glorotLimit, glorotUniform, kerasFans, philoxWords, uniformArray } from '../src/nn/init';
import { Sequential } from '../src/nn/model';
import { CIFAR10_CNN, NetworkSpec } from '../src/nn/spec';
import { draw } from '../src/ops/augment_random';
import { describeCuda, testDevices } from './helpers/devices';

const SMALL: NetworkSpec = {
  name: 'small',
  inputShape: [3, 9, 11],
  classes: 3,
  layers: [
    { type: 'local', filters: 4, kernel: 3, stride: 2 },
    { type: 'relu' },
    { type: 'conv', filters: 5, kernel: 2 },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 6 },
    { type: 'relu' },
    { type: 'dense', units: 3 },
  ],
};

function stats(values: Float32Array): { mean: number; variance: number; min: number; max: number } {
  let sum = 0;
  let squares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    squares += v * v;
    if (v < min) min = v; // no Math.min/max: global lookups are slow in jest's vm context
    if (v > max) max = v;
  }
  const mean = sum / values.length;
  return { mean, variance: squares / values.length - mean * mean, min, max };
}

describe('Keras fans and limits', () => {
  test('conv [K,C,KH,KW]: fan_in C·KH·KW, fan_out K·KH·KW', () => {
    expect(kerasFans('conv', [64, 3, 5, 5])).toEqual({ fanIn: 75, fanOut: 1600 });
  });

  test('local [OH,OW,K,C,KH,KW] as Keras LocallyConnected2D (kernel [OH·OW, KH·KW·C, K])', () => {
    expect(kerasFans('local', [14, 14, 64, 3, 5, 5])).toEqual({ fanIn: 196 * 75, fanOut: 196 * 64 });
  });

  test('dense [O,I]: fan_in I, fan_out O', () => {
    expect(kerasFans('dense', [1024, 2304])).toEqual({ fanIn: 2304, fanOut: 1024 });
    expect(glorotLimit({ fanIn: 2304, fanOut: 1024 })).toBeCloseTo(Math.sqrt(6 / 3328), 12);
  });

  test('bad shapes are refused', () => {
    expect(() => kerasFans('conv', [3, 5, 5])).toThrow(/4 positive dimensions/);
    expect(() => kerasFans('dense', [0, 4])).toThrow(/2 positive dimensions/);
  });
});

describe('seeded uniform generator', () => {
  test('pinned values: checkpoints and published seeds reproduce across versions', () => {
    expect(Array.from(uniformArray(6, 0.5, 1, 0))).toEqual([
      0.14766825735569, 0.054739728569984436, 0.33907464146614075, 0.39555639028549194, -0.3857954740524292,
      -0.2358333021402359,
    ]);
    expect(Array.from(uniformArray(3, 1, 7, 2))).toEqual([0.6654403805732727, 0.3001388907432556, -0.6372596621513367]);
  });

  test('philoxWords gives the words of the augmentation port (draw), partial last groups included', () => {
    const words = philoxWords(new Uint32Array(4 * 3), 0xdeadbeef, 17, INIT_DOMAIN);
    for (let g = 0; g < 3; g++) {
      expect(Array.from(words.slice(4 * g, 4 * g + 4))).toEqual(draw(0xdeadbeef, 17, INIT_DOMAIN, g));
    }
    const partial = philoxWords(new Uint32Array(6), 5, 0xffffffff, 3);
    expect(Array.from(partial.slice(4))).toEqual(draw(5, 0xffffffff, 3, 1).slice(0, 2));
  });

  test('element 4g+i comes from word i of Philox draw g in the init domain', () => {
    const values = uniformArray(10, 2, 123, 4);
    const words = draw(123, 4, INIT_DOMAIN, 2);
    expect(values[9]).toBe(Math.fround(((words[1] + 0.5) * 4) / 2 ** 32 - 2));
  });

  test('prefix-stable, seed- and stream-dependent', () => {
    const long = uniformArray(1001, 1, 5, 0);
    expect(uniformArray(7, 1, 5, 0)).toEqual(long.slice(0, 7));
    expect(uniformArray(7, 1, 6, 0)).not.toEqual(long.slice(0, 7));
    expect(uniformArray(7, 1, 5, 1)).not.toEqual(long.slice(0, 7));
  });

  test('bad arguments are refused', () => {
    expect(() => uniformArray(-1, 1, 0, 0)).toThrow(/count/);
    expect(() => uniformArray(4, NaN, 0, 0)).toThrow(/limit/);
    expect(() => uniformArray(4, 1, 2 ** 32, 0)).toThrow(/seed/);
    expect(() => uniformArray(4, 1, 0, -1)).toThrow(/stream/);
  });

  test('glorotUniform of a dense weight: within the limit, mean 0 and variance limit²/3', () => {
    const values = glorotUniform('dense', [300, 500], 9, 3);
    const limit = Math.sqrt(6 / 800);
    const s = stats(values);
    const n = values.length;
    expect(s.max).toBeLessThanOrEqual(Math.fround(limit));
    expect(s.min).toBeGreaterThanOrEqual(-Math.fround(limit));
    expect(s.max).toBeGreaterThan(0.99 * limit);
    expect(s.min).toBeLessThan(-0.99 * limit);
    // 5 standard errors: the mean has sd limit/sqrt(3n); the mean of x² has sd limit²·sqrt(4/(45n)).
    expect(Math.abs(s.mean)).toBeLessThan((5 * limit) / Math.sqrt(3 * n));
    expect(Math.abs(s.variance / (limit * limit) - 1 / 3)).toBeLessThan(5 * Math.sqrt(4 / 45 / n));
  });
});

describe.each(testDevices)('Sequential.create on %s', (device) => {
  test('every kernel within its Glorot limit with plausible statistics; zero biases', () => {
    const model = Sequential.create(SMALL, { device, seed: 42 });
    try {
      for (const p of model.parameters()) {
        const values = p.value.toArray();
        expect(p.value.device).toBe(device);
        expect(p.grad.toArray().every((g) => g === 0)).toBe(true);
        if (p.name.endsWith('.bias')) {
          expect(values.every((v) => v === 0)).toBe(true);
          continue;
        }
        const kind = p.name.startsWith('lc') ? 'local' : p.name.startsWith('conv') ? 'conv' : 'dense';
        const limit = glorotLimit(kerasFans(kind, p.value.shape));
        const s = stats(values);
        expect(s.max).toBeLessThanOrEqual(Math.fround(limit));
        expect(s.min).toBeGreaterThanOrEqual(-Math.fround(limit));
        expect(s.max - s.min).toBeGreaterThan(limit * (values.length > 50 ? 1.5 : 0.5));
      }
    } finally {
      model.dispose();
    }
  });

  test('the layer i weight is glorotUniform(kind, shape, seed, i): the same seed gives the same weights', () => {
    const a = Sequential.create(SMALL, { device, seed: 7 });
    const b = Sequential.create(SMALL, { device, seed: 7 });
    const c = Sequential.create(SMALL, { device, seed: 8 });
    try {
      expect(a.state()).toEqual(b.state());
      expect(a.state().get('dense1.weight')).not.toEqual(c.state().get('dense1.weight'));
      expect(a.state().get('conv2.weight')).toEqual(glorotUniform('conv', [5, 4, 2, 2], 7, 2));
      expect(a.state().get('lc1.weight')).toEqual(glorotUniform('local', [4, 5, 4, 3, 3, 3], 7, 0));
    } finally {
      [a, b, c].forEach((m) => m.dispose());
    }
  });

  test('CIFAR-10 CNN: dense1 (2.4M values) has the Glorot statistics', () => {
    const model = Sequential.create(CIFAR10_CNN, { device, seed: 1 });
    try {
      expect(model.parameterCount()).toBe(2_875_530);
      const dense1 = model.parameters().find((p) => p.name === 'dense1.weight');
      if (!dense1) throw new Error('no dense1.weight');
      const values = dense1.value.toArray();
      const limit = Math.sqrt(6 / (2304 + 1024));
      const s = stats(values);
      expect(s.max).toBeLessThanOrEqual(Math.fround(limit));
      expect(s.min).toBeGreaterThanOrEqual(-Math.fround(limit));
      expect(Math.abs(s.mean)).toBeLessThan((5 * limit) / Math.sqrt(3 * values.length));
      expect(s.variance / (limit * limit)).toBeCloseTo(1 / 3, 2);
    } finally {
      model.dispose();
    }
  });

  test('bad seeds and devices are refused', () => {
    expect(() => Sequential.create(SMALL, { device, seed: -1 })).toThrow(/seed must be an integer/);
    expect(() => Sequential.create(SMALL, { device, seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => Sequential.create(SMALL, { device: 'tpu', seed: 1 })).toThrow(/bad device/);
    expect(() => Sequential.create(undefined as unknown as NetworkSpec, { device, seed: 1 })).toThrow(
      /network spec must be an object/,
    );
  });
});

describeCuda('initialisation parity', () => {
  test('the same seed gives bit-identical weights on the CPU and the GPU', () => {
    const cpu = Sequential.create(SMALL, { device: 'cpu', seed: 99 });
    const gpu = Sequential.create(SMALL, { device: 'cuda:0', seed: 99 });
    try {
      expect(gpu.state()).toEqual(cpu.state());
    } finally {
      cpu.dispose();
      gpu.dispose();
    }
  });
});
