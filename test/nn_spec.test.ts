// Network specs and shape inference: the paper's networks, names, shapes, parameter counts, errors.
import { CIFAR10_CNN, MNIST_CNN, NetworkSpec, networkByName, toLocalSpec } from '../src/nn/spec';
import { LayerPlan, hasParameters, planNetwork, specParameterCount } from '../src/nn/plan';

const summary = (plans: LayerPlan[]): [string, number[]][] => plans.map((p) => [p.name, p.outputShape]);

describe('the paper networks', () => {
  test('CIFAR-10 CNN: names and per-sample output shapes (14x14x64, 5x5x128, 3x3x256, 2304, 1024, 10)', () => {
    expect(summary(planNetwork(CIFAR10_CNN))).toEqual([
      ['conv1', [64, 14, 14]],
      ['relu1', [64, 14, 14]],
      ['conv2', [128, 5, 5]],
      ['relu2', [128, 5, 5]],
      ['conv3', [256, 3, 3]],
      ['relu3', [256, 3, 3]],
      ['flatten', [2304]],
      ['dense1', [1024]],
      ['relu4', [1024]],
      ['dense2', [10]],
    ]);
  });

  test('MNIST CNN: 13x13x32, 6x6x64, 4x4x128, 2048, 1024, 10', () => {
    const shapes = planNetwork(MNIST_CNN)
      .filter((p) => p.kind !== 'relu')
      .map((p) => p.outputShape);
    expect(shapes).toEqual([[32, 13, 13], [64, 6, 6], [128, 4, 4], [2048], [1024], [10]]);
  });

  test('parameter counts: CIFAR CNN 2,875,530, its locally connected form 11,103,626', () => {
    expect(specParameterCount(CIFAR10_CNN)).toBe(2_875_530);
    expect(specParameterCount(toLocalSpec(CIFAR10_CNN))).toBe(11_103_626);
    expect(specParameterCount(networkByName('cifar10', 'fcn'))).toBe(11_103_626);
  });

  test('parameter shapes in the package layouts', () => {
    const local = planNetwork(toLocalSpec(CIFAR10_CNN));
    const shapes = local.filter(hasParameters).map((p) => [p.name, p.weightShape, p.biasShape]);
    expect(shapes).toEqual([
      ['lc1', [14, 14, 64, 3, 5, 5], [14, 14, 64]],
      ['lc2', [5, 5, 128, 64, 5, 5], [5, 5, 128]],
      ['lc3', [3, 3, 256, 128, 3, 3], [3, 3, 256]],
      ['dense1', [1024, 2304], [1024]],
      ['dense2', [10, 1024], [10]],
    ]);
    const conv = planNetwork(CIFAR10_CNN).filter(hasParameters);
    expect(conv[0].weightShape).toEqual([64, 3, 5, 5]);
    expect(conv[0].biasShape).toEqual([64]);
  });

  test('toLocalSpec turns every conv into local and nothing else; the presets stay untouched', () => {
    const fcn = toLocalSpec(CIFAR10_CNN);
    expect(fcn.name).toBe('cifar10-fcn');
    const expected = CIFAR10_CNN.layers.map((l) => (l.type === 'conv' ? 'local' : l.type));
    expect(fcn.layers.map((l) => l.type)).toEqual(expected);
    expect(fcn.layers[0]).toEqual({ type: 'local', filters: 64, kernel: 5, stride: 2 });
    expect(CIFAR10_CNN.layers[0].type).toBe('conv');
    expect(Object.isFrozen(CIFAR10_CNN.layers[0])).toBe(true);
    expect(toLocalSpec({ ...MNIST_CNN, name: 'custom' }).name).toBe('custom-fcn');
  });

  test('networkByName returns fresh copies of both forms', () => {
    const cnn = networkByName('mnist', 'cnn');
    expect(cnn).toEqual(MNIST_CNN);
    expect(cnn).not.toBe(MNIST_CNN);
    cnn.layers.pop();
    expect(networkByName('mnist', 'cnn').layers).toHaveLength(10);
    expect(networkByName('mnist', 'fcn').layers[4]).toEqual({ type: 'local', filters: 128, kernel: 3, stride: 1 });
    expect(() => networkByName('svhn' as 'mnist', 'cnn')).toThrow(/unknown network "svhn"/);
    expect(() => networkByName('mnist', 'mlp' as 'cnn')).toThrow(/unknown form "mlp"/);
  });
});

describe('planNetwork', () => {
  const small: NetworkSpec = {
    name: 'small',
    inputShape: [3, 9, 11],
    classes: 3,
    layers: [
      { type: 'conv', filters: 4, kernel: 3, stride: 2 },
      { type: 'relu' },
      { type: 'local', filters: 5, kernel: [2, 3], stride: [1, 2], padding: 'same' },
      { type: 'relu' },
      { type: 'flatten' },
      { type: 'dense', units: 3 },
    ],
  };

  test('rectangular kernels, strides and same padding; conv and local layers numbered together', () => {
    const plans = planNetwork(small);
    expect(summary(plans)).toEqual([
      ['conv1', [4, 4, 5]],
      ['relu1', [4, 4, 5]],
      ['lc2', [5, 4, 3]],
      ['relu2', [5, 4, 3]],
      ['flatten', [60]],
      ['dense1', [3]],
    ]);
    const lc = plans[2];
    if (lc.kind !== 'local') throw new Error('expected a local plan');
    expect(lc.geometry.padding).toEqual({ top: 0, bottom: 1, left: 1, right: 1 });
    expect(lc.weightShape).toEqual([4, 3, 5, 4, 2, 3]);
  });

  test('clear errors for malformed specs', () => {
    const withLayers = (layers: unknown[], extra: Partial<NetworkSpec> = {}): NetworkSpec =>
      ({ ...small, ...extra, layers }) as NetworkSpec;
    expect(() => planNetwork(withLayers([{ type: 'dense', units: 3 }]))).toThrow(/needs a flat input.*flatten/);
    expect(() => planNetwork(withLayers([{ type: 'flatten' }, { type: 'dense', units: 4 }]))).toThrow(
      /outputs \[4\] per sample, expected \[3\]/,
    );
    expect(() => planNetwork(withLayers([{ type: 'pool' }]))).toThrow(/unknown layer type "pool"/);
    const conv = (layer: object): NetworkSpec => withLayers([{ type: 'conv', filters: 2, kernel: 3, ...layer }]);
    expect(() => planNetwork(conv({ filters: 0 }))).toThrow(/filters must be an integer >= 1/);
    expect(() => planNetwork(conv({ kernel: 12 }))).toThrow(/smaller than the kernel/);
    expect(() => planNetwork(withLayers([{ type: 'flatten' }, { type: 'conv', filters: 2, kernel: 1 }]))).toThrow(
      /needs a \[C, H, W\] input/,
    );
    for (const type of ['conv', 'local'] as const) {
      // Both kernels reject a window of padding alone; the plan says so before any tensor exists.
      expect(() => planNetwork(withLayers([{ type, filters: 2, kernel: [3, 2], padding: 2 }]))).toThrow(
        /padding left must be less than the kernel width 2, got 2/,
      );
    }
    expect(() => planNetwork(withLayers([]))).toThrow(/non-empty/);
    expect(() => planNetwork(withLayers(small.layers, { inputShape: [3, 9] as never }))).toThrow(/inputShape/);
    expect(() => planNetwork(withLayers(small.layers, { classes: 0 }))).toThrow(/classes/);
  });
});
