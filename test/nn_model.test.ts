// Sequential: layer shapes of the paper's networks, the CNN → LC conversion, clone, state, errors.
import { Sequential } from '../src/nn/model';
import { CIFAR10_CNN, MNIST_CNN, NetworkSpec } from '../src/nn/spec';
import { Adam } from '../src/ops/optim';
import { Tensor } from '../src/tensor';
import { expectClose } from './helpers/compare';
import { testDevices } from './helpers/devices';
import { SMALL_CNN } from './helpers/networks';
import { random } from './helpers/random';

function input(spec: NetworkSpec, n: number, device: string, seed?: number): { x: Tensor; values: Float32Array } {
  const [c, h, w] = spec.inputShape;
  const values = random(seed).uniform(n * c * h * w, 0, 1);
  return { x: Tensor.from(values, [n, c, h, w], { device }), values };
}

/** Per-sample output shapes of every layer, from an actual forward pass of `n` samples. */
function activationShapes(model: Sequential, x: Tensor): number[][] {
  let a = x;
  return model.layers.map((layer) => {
    a = layer.forward(a, false);
    expect(a.shape[0]).toBe(x.shape[0]);
    return a.shape.slice(1);
  });
}

describe.each(testDevices)('Sequential on %s', (device) => {
  test('CIFAR-10 CNN: every layer output (14x14x64, 5x5x128, 3x3x256, 2304, 1024, 10), counts, FCN logits', () => {
    const cnn = Sequential.create(CIFAR10_CNN, { device, seed: 11 });
    const { x } = input(CIFAR10_CNN, 2, device);
    try {
      expect(cnn.device).toBe(device);
      expect(activationShapes(cnn, x)).toEqual([
        [64, 14, 14], [64, 14, 14], [128, 5, 5], [128, 5, 5], [256, 3, 3], [256, 3, 3], [2304], [1024], [1024], [10],
      ]);
      expect(cnn.layers.map((l) => l.outputShape)).toEqual(activationShapes(cnn, x));
      expect(cnn.parameterCount()).toBe(2_875_530);
      const fcn = cnn.toLocal();
      try {
        expect(fcn.parameterCount()).toBe(11_103_626);
        expect(fcn.spec.name).toBe('cifar10-fcn');
        expect(fcn.layers.map((l) => l.name)).toEqual(
          ['lc1', 'relu1', 'lc2', 'relu2', 'lc3', 'relu3', 'flatten', 'dense1', 'relu4', 'dense2'],
        );
        const expected = cnn.forward(x, false).toArray();
        expectClose(fcn.forward(x, false).toArray(), expected, 'CIFAR FCN logits', { rtol: 1e-5, atol: 1e-6 });
      } finally {
        fcn.dispose();
      }
    } finally {
      x.dispose();
      cnn.dispose();
    }
  });

  test('MNIST CNN: 13x13x32, 6x6x64, 4x4x128, 2048, 1024, 10', () => {
    const model = Sequential.create(MNIST_CNN, { device, seed: 12 });
    const { x } = input(MNIST_CNN, 1, device);
    try {
      const shapes = activationShapes(model, x).filter((_, i) => model.layers[i].kind !== 'relu');
      expect(shapes).toEqual([[32, 13, 13], [64, 6, 6], [128, 4, 4], [2048], [1024], [10]]);
      expect(model.forward(x, false).shape).toEqual([1, 10]);
    } finally {
      x.dispose();
      model.dispose();
    }
  });

  test('parameters(): fixed order and names, the same tensors on every call', () => {
    const model = Sequential.create(SMALL_CNN, { device, seed: 1 });
    try {
      const names = model.parameters().map((p) => p.name);
      expect(names).toEqual([
        'conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias',
        'dense1.weight', 'dense1.bias', 'dense2.weight', 'dense2.bias',
      ]);
      model.parameters().forEach((p, i) => {
        expect(p.value).toBe(model.parameters()[i].value);
        expect(p.grad.shape).toEqual(p.value.shape);
      });
      expect(model.localLayers()).toEqual([]);
    } finally {
      model.dispose();
    }
  });

  test('toLocal(): same logits, tied = conv kernel, tiled weights, larger count', () => {
    const cnn = Sequential.create(SMALL_CNN, { device, seed: 5 });
    const rng = random();
    for (const p of cnn.parameters()) if (p.name.endsWith('.bias')) p.value.write(rng.uniform(p.value.size, -0.1, 0.1));
    const fcn = cnn.toLocal();
    const { x } = input(SMALL_CNN, 3, device, rng.int(0, 2 ** 31));
    try {
      expect(fcn.device).toBe(device);
      expectClose(fcn.forward(x, false).toArray(), cnn.forward(x, false).toArray(), `logits (seed ${rng.seed})`, {
        rtol: 1e-5,
        atol: 1e-6,
      });
      const locals = fcn.localLayers();
      expect(locals.map((l) => l.name)).toEqual(['lc1', 'lc2']);
      const cnnState = cnn.state();
      locals.forEach((lc, index) => {
        const conv = `conv${index + 1}`;
        const kernel = cnnState.get(`${conv}.weight`) as Float32Array;
        const bias = cnnState.get(`${conv}.bias`) as Float32Array;
        expect(lc.tied?.shape).toEqual(cnn.parameters()[2 * index].value.shape);
        expect(lc.tied?.device).toBe(device);
        expect(lc.tied?.toArray()).toEqual(kernel);
        const [oh, ow] = lc.weight.shape;
        const weight = lc.weight.toArray();
        const localBias = lc.bias.toArray();
        for (let p = 0; p < oh * ow; p++) {
          expect(weight.subarray(p * kernel.length, (p + 1) * kernel.length)).toEqual(kernel);
          expect(localBias.subarray(p * bias.length, (p + 1) * bias.length)).toEqual(bias);
        }
      });
      // conv1 4·3·3·3+4 → 4·5 positions; conv2 5·4·2·2+5 → 4·5 positions (same padding).
      expect(cnn.parameterCount()).toBe(112 + 85 + 6 * 100 + 6 + 21);
      expect(fcn.parameterCount()).toBe(20 * 112 + 20 * 85 + 6 * 100 + 6 + 21);
      expect(fcn.state().get('lc1.tied')).toEqual(cnnState.get('conv1.weight'));
    } finally {
      x.dispose();
      cnn.dispose();
      fcn.dispose();
    }
  });

  test('training the converted model leaves the original untouched; clone() is independent too', () => {
    const cnn = Sequential.create(SMALL_CNN, { device, seed: 6 });
    const before = cnn.state();
    const fcn = cnn.toLocal();
    const copy = cnn.clone();
    const { x } = input(SMALL_CNN, 4, device);
    const g = Tensor.from(random().uniform(12), [4, 3], { device });
    const adam = new Adam({ lr: 0.05 });
    try {
      for (const model of [fcn, copy]) {
        const params = model.parameters();
        for (let step = 0; step < 3; step++) {
          model.forward(x, true);
          model.backward(g);
          adam.step(params.map((p) => p.value), params.map((p) => p.grad));
        }
        adam.dispose();
        expect(model.state().get('dense2.weight')).not.toEqual(before.get('dense2.weight'));
      }
      expect(cnn.state()).toEqual(before);
      expect(fcn.localLayers()[0].tied?.toArray()).toEqual(before.get('conv1.weight'));
      expect(copy.spec).toEqual(cnn.spec);
      expect(Object.isFrozen(copy.spec.layers[0])).toBe(true);
      cnn.dispose();
      expect(copy.forward(x, false).shape).toEqual([4, 3]);
      expect(fcn.forward(x, false).shape).toEqual([4, 3]);
    } finally {
      [x, g].forEach((t) => t.dispose());
      [cnn, fcn, copy].forEach((m) => m.dispose());
    }
  });

  test('clone() of a converted model keeps its tied kernels; toLocal() of it copies them', () => {
    const cnn = Sequential.create(SMALL_CNN, { device, seed: 8 });
    const fcn = cnn.toLocal();
    const copy = fcn.clone();
    const again = fcn.toLocal();
    try {
      for (const model of [copy, again]) {
        expect(model.state()).toEqual(fcn.state());
        expect(model.localLayers()[1].tied).not.toBe(fcn.localLayers()[1].tied);
      }
    } finally {
      [cnn, fcn, copy, again].forEach((m) => m.dispose());
    }
  });

  test('state() / loadState() round trip, in place', () => {
    const source = Sequential.create(SMALL_CNN, { device, seed: 21 }).toLocal();
    const localSpec: NetworkSpec = {
      ...SMALL_CNN,
      layers: SMALL_CNN.layers.map((l) => (l.type === 'conv' ? { ...l, type: 'local' } : l)),
    };
    const target = Sequential.create(localSpec, { device, seed: 22 });
    const { x } = input(SMALL_CNN, 2, device);
    try {
      const state = source.state();
      expect([...state.keys()]).toEqual([
        'lc1.weight', 'lc1.bias', 'lc2.weight', 'lc2.bias',
        'dense1.weight', 'dense1.bias', 'dense2.weight', 'dense2.bias',
        'lc1.tied', 'lc2.tied',
      ]);
      const values = target.parameters().map((p) => p.value);
      expect(target.localLayers()[0].tied).toBeNull();
      target.loadState(state);
      expect(target.parameters().map((p) => p.value)).toEqual(values); // same tensors, new contents
      expect(target.state()).toEqual(state);
      expect(target.localLayers()[1].tied?.shape).toEqual([5, 4, 2, 2]);
      expectClose(target.forward(x, false).toArray(), source.forward(x, false).toArray(), 'logits after loadState', {
        rtol: 0,
        atol: 0,
      });
      const withoutTied = new Map([...state].filter(([name]) => !name.endsWith('.tied')));
      target.loadState(withoutTied);
      expect(target.localLayers().map((l) => l.tied)).toEqual([null, null]);
      expect(target.state()).toEqual(withoutTied);
    } finally {
      x.dispose();
      source.dispose();
      target.dispose();
    }
  });

  test('loadState(): clear errors for missing or unknown names and wrong sizes, nothing written', () => {
    const model = Sequential.create(SMALL_CNN, { device, seed: 31 });
    try {
      const good = model.state();
      const snapshot = model.state();
      const changed = (edit: (s: Map<string, Float32Array>) => void): Map<string, Float32Array> => {
        const s = new Map([...good].map(([k, v]) => [k, new Float32Array(v.length).fill(7)]));
        edit(s);
        return s;
      };
      expect(() => model.loadState(changed((s) => s.delete('dense1.bias')))).toThrow(
        /missing parameter\(s\) 'dense1.bias'/,
      );
      expect(() => model.loadState(changed((s) => s.set('conv9.weight', new Float32Array(1))))).toThrow(
        /unknown name\(s\) 'conv9.weight'/,
      );
      expect(() => model.loadState(changed((s) => s.set('lc1.tied', new Float32Array(1))))).toThrow(
        /unknown name\(s\) 'lc1.tied'/,
      );
      expect(() => model.loadState(changed((s) => s.set('conv2.weight', new Float32Array(3))))).toThrow(
        /'conv2.weight' has 3 values, expected 80/,
      );
      expect(() =>
        model.loadState(changed((s) => s.set('conv2.bias', new Float64Array(5) as unknown as Float32Array))),
      ).toThrow(/'conv2.bias' must be a Float32Array/);
      expect(() => model.loadState({} as Map<string, Float32Array>)).toThrow(/must be a Map/);
      expect(model.state()).toEqual(snapshot);
      const fcn = model.toLocal();
      try {
        const tiedWrong = fcn.state();
        tiedWrong.set('lc2.tied', new Float32Array(79));
        expect(() => fcn.loadState(tiedWrong)).toThrow(/'lc2.tied' has 79 values, expected 80/);
      } finally {
        fcn.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  test('buffers are reused across steps and reallocated when the batch size changes', () => {
    const model = Sequential.create(SMALL_CNN, { device, seed: 41 });
    const a = input(SMALL_CNN, 3, device);
    const b = input(SMALL_CNN, 5, device);
    try {
      const first = model.forward(a.x, true);
      expect(model.forward(a.x, true)).toBe(first);
      const other = model.forward(b.x, true);
      expect(other.shape).toEqual([5, 3]);
      const g = Tensor.zeros([5, 3], { device });
      model.backward(g);
      g.dispose();
      expect(model.forward(a.x, false).shape).toEqual([3, 3]);
    } finally {
      [a.x, b.x].forEach((t) => t.dispose());
      model.dispose();
    }
  });

  test('clear errors for bad inputs, gradients and a disposed model', () => {
    const model = Sequential.create(SMALL_CNN, { device, seed: 51 });
    const { x } = input(SMALL_CNN, 2, device);
    const wrongShape = Tensor.zeros([2, 3, 9, 10], { device });
    const wrongType = Tensor.zeros([2, 3, 9, 11], { device, dtype: 'int32' });
    try {
      expect(() => model.backward(Tensor.zeros([2, 3], { device }))).toThrow(/no forward pass/);
      expect(() => model.forward(wrongShape, true)).toThrow(/must have shape \[N, 3, 9, 11\], got \[2,3,9,10\]/);
      expect(() => model.forward(wrongType, true)).toThrow(/must be float32, got int32/);
      model.forward(x, true);
      expect(() => model.backward(Tensor.zeros([3, 3], { device }))).toThrow(
        /dy has batch 3, but the last forward had 2/,
      );
      expect(() => model.backward(Tensor.zeros([2, 4], { device }))).toThrow(/must have shape \[N, 3\]/);
      model.dispose();
      expect(() => model.forward(x, true)).toThrow(/disposed/);
      expect(() => model.parameters()).toThrow(/disposed/);
      expect(() => model.state()).toThrow(/disposed/);
      model.dispose(); // twice is harmless
    } finally {
      [x, wrongShape, wrongType].forEach((t) => t.dispose());
      model.dispose();
    }
  });
});
