// Shape inference for a NetworkSpec: each layer's name, per-sample input and output shapes,
// resolved window geometry and parameter shapes, checked before any tensor is allocated.
import { WindowGeometry, resolveWindow } from '../ops/geometry';
import { LayerSpec, NetworkSpec, Size2d } from './spec';

export type { WindowGeometry } from '../ops/geometry';

interface PlanBase {
  /** 'conv1', 'lc1', 'relu1', 'flatten', 'dense1', ... */
  name: string;
  /** Per-sample input shape. */
  inputShape: number[];
  /** Per-sample output shape. */
  outputShape: number[];
}

/** A layer with a weight and a bias, and their shapes. */
export interface ParameterizedPlan extends PlanBase {
  weightShape: number[];
  biasShape: number[];
}

/** A conv layer: weight [K, C, KH, KW], bias [K]; its geometry is resolved here, once. */
export interface ConvPlan extends ParameterizedPlan {
  kind: 'conv';
  geometry: WindowGeometry;
}

/** A locally connected layer: weight [OH, OW, K, C, KH, KW], bias [OH, OW, K]. */
export interface LocalPlan extends ParameterizedPlan {
  kind: 'local';
  geometry: WindowGeometry;
}

/**
 * A low-rank locally connected layer (src/ops/lowrank.ts): parameters bases [R, K, C, KH, KW], basisBias
 * [R, K] and logits [OH, OW, R]; it computes the locally connected layer of weight [OH, OW, K, C, KH, KW]
 * and bias [OH, OW, K] (`weightShape` and `biasShape`, materialised from them: not parameters).
 */
export interface LowRankPlan extends PlanBase {
  kind: 'lowrank';
  geometry: WindowGeometry;
  /** R: the number of basis banks, 1 to OH·OW. */
  rank: number;
  basesShape: number[];
  basisBiasShape: number[];
  logitsShape: number[];
  /** The materialised weight's shape (a locally connected layer's). */
  weightShape: number[];
  /** The materialised bias's shape. */
  biasShape: number[];
}

/** A dense layer: weight [O, I], bias [O]. */
export interface DensePlan extends ParameterizedPlan {
  kind: 'dense';
}

/** A layer without parameters. */
export interface ParameterFreePlan extends PlanBase {
  kind: 'relu' | 'flatten';
}

/** A fixed input mask (variable connection probability): drops each unit with probability `drop`, drawn from `seed`. */
export interface MaskPlan extends PlanBase {
  kind: 'mask';
  drop: number;
  seed: number;
}

/** One layer of a network, resolved: see {@link planNetwork}. */
export type LayerPlan = ConvPlan | LocalPlan | LowRankPlan | DensePlan | ParameterFreePlan | MaskPlan;

const NAME_PREFIX: Record<LayerSpec['type'], string> = {
  conv: 'conv',
  local: 'lc',
  // A low-rank layer is a locally connected layer with a constrained bank: it keeps the 'lc' name and the
  // window number, so a freed layer is lc2 whatever its form and the divergence columns of every rank
  // line up with the full locally connected layer's.
  lowrank: 'lc',
  dense: 'dense',
  relu: 'relu',
  flatten: 'flatten',
  mask: 'mask',
};

/** Conv, local and low-rank layers are numbered together, so a layer freed from conv2 is lc2. */
const COUNTER: Partial<Record<LayerSpec['type'], string>> = { conv: 'window', local: 'window', lowrank: 'window' };

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}

function checkPositive(value: unknown, what: string): number {
  if (!isPositiveInteger(value)) throw new RangeError(`${what} must be an integer >= 1, got ${JSON.stringify(value)}`);
  return value;
}

function resolveKernel(kernel: Size2d, what: string): [number, number] {
  if (typeof kernel === 'number') return [checkPositive(kernel, what), kernel];
  if (!Array.isArray(kernel) || kernel.length !== 2) {
    throw new TypeError(`${what} must be a number or [height, width], got ${JSON.stringify(kernel)}`);
  }
  return [checkPositive(kernel[0], `${what}[0]`), checkPositive(kernel[1], `${what}[1]`)];
}

function windowGeometry(
  layer: Extract<LayerSpec, { type: 'conv' | 'local' | 'lowrank' }>,
  inputShape: number[],
  where: string,
): WindowGeometry {
  if (inputShape.length !== 3) {
    throw new RangeError(`${where}: a ${layer.type} layer needs a [C, H, W] input, got [${inputShape}]`);
  }
  const kernel = resolveKernel(layer.kernel, `${where}: kernel`);
  return resolveWindow([inputShape[1], inputShape[2]], kernel, { stride: layer.stride, padding: layer.padding }, where);
}

function planLayer(layer: LayerSpec, name: string, inputShape: number[], where: string): LayerPlan {
  const base = { name, inputShape };
  switch (layer.type) {
    case 'conv':
    case 'local':
    case 'lowrank': {
      const filters = checkPositive(layer.filters, `${where}: filters`);
      const geometry = windowGeometry(layer, inputShape, where);
      const { outputHeight: oh, outputWidth: ow } = geometry;
      const bank = [filters, inputShape[0], ...geometry.kernel];
      const outputShape = [filters, oh, ow];
      if (layer.type === 'conv') {
        return { ...base, kind: 'conv', outputShape, geometry, weightShape: bank, biasShape: [filters] };
      }
      const weightShape = [oh, ow, ...bank];
      const biasShape = [oh, ow, filters];
      if (layer.type === 'local') return { ...base, kind: 'local', outputShape, geometry, weightShape, biasShape };
      const rank = checkPositive(layer.rank, `${where}: rank`);
      if (rank > oh * ow) {
        throw new RangeError(
          `${where}: rank ${rank} exceeds the layer's ${oh}x${ow} = ${oh * ow} output positions; at most ${oh * ow} ` +
            '(rank OH·OW already reaches every locally connected layer)',
        );
      }
      return {
        ...base,
        kind: 'lowrank',
        outputShape,
        geometry,
        rank,
        basesShape: [rank, ...bank],
        basisBiasShape: [rank, filters],
        logitsShape: [oh, ow, rank],
        weightShape,
        biasShape,
      };
    }
    case 'dense': {
      const units = checkPositive(layer.units, `${where}: units`);
      if (inputShape.length !== 1) {
        throw new RangeError(
          `${where}: a dense layer needs a flat input, got [${inputShape}]; put { type: 'flatten' } before it`,
        );
      }
      return { ...base, kind: 'dense', outputShape: [units], weightShape: [units, inputShape[0]], biasShape: [units] };
    }
    case 'relu':
      return { ...base, kind: 'relu', outputShape: [...inputShape] };
    case 'flatten':
      return { ...base, kind: 'flatten', outputShape: [inputShape.reduce((a, b) => a * b, 1)] };
    case 'mask': {
      if (typeof layer.drop !== 'number' || !(layer.drop >= 0 && layer.drop < 1)) {
        throw new RangeError(`${where}: drop must be a probability in [0, 1), got ${JSON.stringify(layer.drop)}`);
      }
      if (!Number.isInteger(layer.seed) || layer.seed < 0 || layer.seed > 0xffffffff) {
        throw new RangeError(`${where}: seed must be an integer in [0, 2^32), got ${JSON.stringify(layer.seed)}`);
      }
      return { ...base, kind: 'mask', outputShape: [...inputShape], drop: layer.drop, seed: layer.seed };
    }
    default:
      throw new TypeError(
        `${where}: unknown layer type ${JSON.stringify((layer as { type?: unknown }).type)}; ` +
          "expected 'conv', 'local', 'lowrank', 'dense', 'relu', 'flatten' or 'mask'",
      );
  }
}

/**
 * Resolves every layer of a network: names ('conv1', 'lc2', 'relu1', 'dense1', ... numbered per kind
 * from 1, conv, local and low-rank layers together, local and low-rank both 'lc'; the first flatten is 'flatten', later ones 'flatten2', ...), per-sample shapes, window
 * geometry and parameter shapes. Throws a clear error for a malformed spec, a layer that does not fit
 * its input, or a last layer whose output is not [classes].
 */
export function planNetwork(spec: NetworkSpec): LayerPlan[] {
  if (spec === null || typeof spec !== 'object') throw new TypeError('network spec must be an object');
  const what = `network ${JSON.stringify(spec.name)}`;
  if (!Array.isArray(spec.inputShape) || spec.inputShape.length !== 3) {
    throw new RangeError(`${what}: inputShape must be [C, H, W], got ${JSON.stringify(spec.inputShape)}`);
  }
  spec.inputShape.forEach((d, i) => checkPositive(d, `${what}: inputShape[${i}]`));
  const classes = checkPositive(spec.classes, `${what}: classes`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) {
    throw new RangeError(`${what}: layers must be a non-empty array`);
  }
  const counts = new Map<string, number>();
  let shape: number[] = [...spec.inputShape];
  const plans = spec.layers.map((layer, index) => {
    if (layer === null || typeof layer !== 'object') throw new TypeError(`${what}: layers[${index}] must be an object`);
    const prefix = NAME_PREFIX[layer.type] ?? String(layer.type);
    const counter = COUNTER[layer.type] ?? prefix;
    // A mask is named after the window layer it comes before (mask2 masks lc2's input).
    const count = layer.type === 'mask' ? (counts.get('window') ?? 0) + 1 : (counts.get(counter) ?? 0) + 1;
    if (layer.type === 'mask' && counts.get('mask') === count) throw new RangeError(`${what}: layers[${index}]: a second mask before window layer ${count}`);
    counts.set(counter, count);
    const name = layer.type === 'flatten' && count === 1 ? 'flatten' : `${prefix}${count}`;
    const plan = planLayer(layer, name, shape, `${what}: layers[${index}] (${name})`);
    shape = plan.outputShape;
    return plan;
  });
  if (shape.length !== 1 || shape[0] !== classes) {
    throw new RangeError(`${what}: the last layer outputs [${shape}] per sample, expected [${classes}] (the classes)`);
  }
  return plans;
}

/** Whether a plan has a weight and a bias (a low-rank layer has bases, basis biases and logits instead). */
export function hasParameters(plan: LayerPlan): plan is ConvPlan | LocalPlan | DensePlan {
  return plan.kind === 'conv' || plan.kind === 'local' || plan.kind === 'dense';
}

/**
 * The trainable tensors of a layer, by the names a model gives them ('<layer>.weight' and '.bias', or
 * '<layer>.bases', '.basisBias' and '.logits' for a low-rank layer), with their shapes; none for a layer
 * without parameters.
 */
export function parameterShapes(plan: LayerPlan): { name: string; shape: number[] }[] {
  if (plan.kind === 'lowrank') {
    return [
      { name: `${plan.name}.bases`, shape: plan.basesShape },
      { name: `${plan.name}.basisBias`, shape: plan.basisBiasShape },
      { name: `${plan.name}.logits`, shape: plan.logitsShape },
    ];
  }
  if (!hasParameters(plan)) return [];
  return [
    { name: `${plan.name}.weight`, shape: plan.weightShape },
    { name: `${plan.name}.bias`, shape: plan.biasShape },
  ];
}

/** Number of trainable values of a network (weights and biases; a low-rank layer's bases, basis biases and logits), without allocating it. */
export function specParameterCount(spec: NetworkSpec): number {
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  return planNetwork(spec)
    .flatMap(parameterShapes)
    .reduce((total, p) => total + size(p.shape), 0);
}
