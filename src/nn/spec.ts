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
 * - `lowrank`: a low-rank locally connected layer (Elsayed et al. 2020): the bank at each output position
 *   mixes `rank` basis banks by a softmax of its own logits; bases [R, K, C, KH, KW], basis biases [R, K],
 *   logits [OH, OW, R] (src/ops/lowrank.ts). Rank 1 is a convolution; 1 <= rank <= OH·OW.
 * - `dense`: fully connected, weight [O, I], bias [O]; its input must be flat (add a `flatten`).
 * - `relu`: max(x, 0).
 * - `flatten`: [C, H, W] → [C·H·W] in C-major order (a view, no copy).
 * - `mask`: x times a fixed binary mask of its per-sample shape that drops each unit with
 *   probability `drop`, drawn once from `seed` (Ott et al.'s variable connection probability).
 */
export type LayerSpec =
  | { type: 'conv'; filters: number; kernel: Size2d; stride?: Size2d; padding?: Padding }
  | { type: 'local'; filters: number; kernel: Size2d; stride?: Size2d; padding?: Padding }
  | { type: 'lowrank'; filters: number; kernel: Size2d; stride?: Size2d; padding?: Padding; rank: number }
  | { type: 'dense'; units: number }
  | { type: 'relu' }
  | { type: 'flatten' }
  | { type: 'mask'; drop: number; seed: number };

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

/** Which convolutions {@link toLocalSpec} frees, and the input masks it puts before them. */
export interface LocalSpecOptions {
  /**
   * The window layers to free, by their number (conv2 is 2: conv, local and low-rank layers are numbered
   * together, so a freed layer keeps its convolution's number, as `lc2`); default every convolution.
   */
  layers?: readonly number[];
  /**
   * Free into low-rank locally connected layers of this rank (an integer >= 1, at most each freed
   * layer's OH·OW positions: planNetwork checks that) instead of full locally connected layers.
   */
  rank?: number;
  /**
   * Ott et al.'s variable connection probability: before each freed layer, a fixed binary mask of
   * its input ([C, H, W], shared by every image, not rescaled) drops each unit with probability
   * `drop`; the mask of the layer numbered i is drawn from `seed` and i.
   */
  mask?: { drop: number; seed: number };
}

/**
 * The locally connected twin of a network (the papers' "FCN"): each freed `conv` layer (every one
 * unless `options.layers` names some) becomes a `local` layer with the same filters, kernel, stride
 * and padding (a `lowrank` layer of `options.rank` when given), after an input `mask` layer when
 * `options.mask` asks for one; other layers are unchanged. A name ending in '-cnn' gets '-fcn' instead,
 * any other name gets '-fcn' appended ('-lrlc<R>' for low-rank layers of rank R).
 */
export function toLocalSpec(spec: NetworkSpec, options: LocalSpecOptions = {}): NetworkSpec {
  const copy = copySpec(spec);
  const isWindow = (l: LayerSpec): boolean => l.type === 'conv' || l.type === 'local' || l.type === 'lowrank';
  const windows = copy.layers.filter(isWindow).length;
  const free = options.layers ?? null;
  for (const n of free ?? []) {
    const kind = copy.layers.filter(isWindow)[n - 1]?.type;
    if (!Number.isInteger(n) || n < 1 || n > windows || kind !== 'conv') {
      throw new RangeError(`toLocalSpec: ${spec.name} has no convolution numbered ${n} (its window layers are 1 to ${windows})`);
    }
  }
  const mask = options.mask;
  if (mask && !(mask.drop >= 0 && mask.drop < 1)) throw new RangeError(`toLocalSpec: mask.drop must be in [0, 1), got ${mask.drop}`);
  const rank = options.rank;
  if (rank !== undefined && !(typeof rank === 'number' && Number.isInteger(rank) && rank >= 1)) {
    throw new RangeError(`toLocalSpec: rank must be an integer >= 1, got ${JSON.stringify(rank) ?? String(rank)}`);
  }
  let window = 0;
  const layers = copy.layers.flatMap((layer): LayerSpec[] => {
    if (!isWindow(layer)) return [layer];
    window++;
    if (layer.type !== 'conv' || (free !== null && !free.includes(window))) return [layer];
    const local: LayerSpec = rank === undefined ? { ...layer, type: 'local' } : { ...layer, type: 'lowrank', rank };
    return mask && mask.drop > 0 ? [{ type: 'mask', drop: mask.drop, seed: maskSeed(mask.seed, window) }, local] : [local];
  });
  const suffix = rank === undefined ? '-fcn' : `-lrlc${rank}`;
  return { ...copy, name: copy.name.endsWith('-cnn') ? `${copy.name.slice(0, -4)}${suffix}` : `${copy.name}${suffix}`, layers };
}

/** The seed of the input mask of window layer `window` in a network whose masks come from `seed`. */
function maskSeed(seed: number, window: number): number {
  return windowSeed(seed, window);
}

/**
 * The seed of window layer number `window` in draws made per layer from one `seed` (the input masks of
 * toLocalSpec, the combining logits of Sequential.toLocal's low-rank layers, which draw in other Philox
 * domains): (seed · 0x9e3779b1 + window) mod 2^32.
 */
export function windowSeed(seed: number, window: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + window) >>> 0;
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
