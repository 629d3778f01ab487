// Network descriptions: plain data naming each layer, and the paper's two networks (PROTOCOL.md,
// "Networks"). A spec holds no tensors; Sequential.create turns one into a model.
import type { Padding } from '../ops/geometry';

/** A side length for both axes, or `[height, width]`. */
export type Size2d = number | readonly [number, number];

/**
 * One layer of a {@link NetworkSpec}. Window layers default to stride 1 and 'valid' padding.
 * - `conv`: 2-D convolution, weight [K, C, KH, KW], bias [K].
 * - `local`: locally connected 2-D layer (a convolution with one filter bank per output position),
 *   weight [OH, OW, K, C, KH, KW], bias [OH, OW, K].
 * - `dense`: fully connected, weight [O, I], bias [O]; its input must be flat (add a `flatten`).
 * - `relu`: max(x, 0).
 * - `flatten`: [C, H, W] → [C·H·W] in C-major order (a view, no copy).
 */
export type LayerSpec =
  | { type: 'conv'; filters: number; kernel: Size2d; stride?: Size2d; padding?: Padding }
  | { type: 'local'; filters: number; kernel: Size2d; stride?: Size2d; padding?: Padding }
  | { type: 'dense'; units: number }
  | { type: 'relu' }
  | { type: 'flatten' };

/** A sequential network: layers applied in order to inputs [N, C, H, W]; the last gives the logits. */
export interface NetworkSpec {
  name: string;
  /** Per-sample input shape [C, H, W]. */
  inputShape: [number, number, number];
  /** Number of classes: the last layer must output this many logits. */
  classes: number;
  layers: LayerSpec[];
}

/** Freezes a plain-data value and everything inside it, so shared presets cannot be changed by accident. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    Object.values(value as object).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/**
 * The paper's CIFAR-10 CNN: conv 64 5×5/2, relu, conv 128 5×5/2, relu, conv 256 3×3/1, relu,
 * flatten, dense 1024, relu, dense 10 (valid padding; the softmax is in the loss).
 * 2,875,530 parameters.
 */
export const CIFAR10_CNN: NetworkSpec = deepFreeze<NetworkSpec>({
  name: 'cifar10-cnn',
  inputShape: [3, 32, 32],
  classes: 10,
  layers: [
    { type: 'conv', filters: 64, kernel: 5, stride: 2 },
    { type: 'relu' },
    { type: 'conv', filters: 128, kernel: 5, stride: 2 },
    { type: 'relu' },
    { type: 'conv', filters: 256, kernel: 3, stride: 1 },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 1024 },
    { type: 'relu' },
    { type: 'dense', units: 10 },
  ],
});

/**
 * The paper's MNIST CNN: conv 32 3×3/2, relu, conv 64 3×3/2, relu, conv 128 3×3/1, relu,
 * flatten, dense 1024, relu, dense 10 (valid padding).
 */
export const MNIST_CNN: NetworkSpec = deepFreeze<NetworkSpec>({
  name: 'mnist-cnn',
  inputShape: [1, 28, 28],
  classes: 10,
  layers: [
    { type: 'conv', filters: 32, kernel: 3, stride: 2 },
    { type: 'relu' },
    { type: 'conv', filters: 64, kernel: 3, stride: 2 },
    { type: 'relu' },
    { type: 'conv', filters: 128, kernel: 3, stride: 1 },
    { type: 'relu' },
    { type: 'flatten' },
    { type: 'dense', units: 1024 },
    { type: 'relu' },
    { type: 'dense', units: 10 },
  ],
});

/** A deep copy of a spec (specs are plain data). */
export function copySpec(spec: NetworkSpec): NetworkSpec {
  if (spec === null || typeof spec !== 'object') throw new TypeError(`network spec must be an object, got ${spec}`);
  return JSON.parse(JSON.stringify(spec)) as NetworkSpec;
}

/** A deep copy of a spec that cannot be modified (what a model keeps). */
export function frozenSpec(spec: NetworkSpec): NetworkSpec {
  return deepFreeze(copySpec(spec));
}

/**
 * The locally connected twin of a network (the papers' "FCN"): every `conv` layer becomes a `local`
 * layer with the same filters, kernel, stride and padding; other layers are unchanged. A name ending
 * in '-cnn' gets '-fcn' instead, any other name gets '-fcn' appended.
 */
export function toLocalSpec(spec: NetworkSpec): NetworkSpec {
  const copy = copySpec(spec);
  return {
    ...copy,
    name: copy.name.endsWith('-cnn') ? `${copy.name.slice(0, -4)}-fcn` : `${copy.name}-fcn`,
    layers: copy.layers.map((layer) => (layer.type === 'conv' ? { ...layer, type: 'local' } : layer)),
  };
}

/**
 * One of the paper's networks: `form` 'cnn' is the convolutional network, 'fcn' its locally connected
 * twin. Returns a fresh copy the caller may modify.
 */
export function networkByName(name: 'cifar10' | 'mnist', form: 'cnn' | 'fcn'): NetworkSpec {
  const networks = { cifar10: CIFAR10_CNN, mnist: MNIST_CNN } as const;
  const cnn = (networks as Record<string, NetworkSpec | undefined>)[name];
  if (!cnn) {
    throw new RangeError(`networkByName: unknown network ${JSON.stringify(name)}; expected 'cifar10' or 'mnist'`);
  }
  if (form === 'cnn') return copySpec(cnn);
  if (form === 'fcn') return toLocalSpec(cnn);
  throw new RangeError(`networkByName: unknown form ${JSON.stringify(form)}; expected 'cnn' or 'fcn'`);
}
