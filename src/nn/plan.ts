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

/** A dense layer: weight [O, I], bias [O]. */
export interface DensePlan extends ParameterizedPlan {
  kind: 'dense';
}

/** A layer without parameters. */
export interface ParameterFreePlan extends PlanBase {
  kind: 'relu' | 'flatten';
}

/** One layer of a network, resolved: see {@link planNetwork}. */
export type LayerPlan = ConvPlan | LocalPlan | DensePlan | ParameterFreePlan;

const NAME_PREFIX: Record<LayerSpec['type'], string> = {
  conv: 'conv',
  local: 'lc',
  dense: 'dense',
  relu: 'relu',
  flatten: 'flatten',
};

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
  layer: Extract<LayerSpec, { type: 'conv' | 'local' }>,
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
    case 'local': {
      const filters = checkPositive(layer.filters, `${where}: filters`);
      const geometry = windowGeometry(layer, inputShape, where);
      const { outputHeight: oh, outputWidth: ow } = geometry;
      const bank = [filters, inputShape[0], ...geometry.kernel];
      const outputShape = [filters, oh, ow];
      if (layer.type === 'conv') {
        return { ...base, kind: 'conv', outputShape, geometry, weightShape: bank, biasShape: [filters] };
      }
      const weightShape = [oh, ow, ...bank];
      return { ...base, kind: 'local', outputShape, geometry, weightShape, biasShape: [oh, ow, filters] };
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
    default:
      throw new TypeError(
        `${where}: unknown layer type ${JSON.stringify((layer as { type?: unknown }).type)}; ` +
          "expected 'conv', 'local', 'dense', 'relu' or 'flatten'",
      );
  }
}

/**
 * Resolves every layer of a network: names ('conv1', 'lc1', 'relu1', 'dense1', ... numbered per kind
 * from 1; the first flatten is 'flatten', later ones 'flatten2', ...), per-sample shapes, window
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
    const count = (counts.get(prefix) ?? 0) + 1;
    counts.set(prefix, count);
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

/** Whether a plan has a weight and a bias. */
export function hasParameters(plan: LayerPlan): plan is ConvPlan | LocalPlan | DensePlan {
  return plan.kind === 'conv' || plan.kind === 'local' || plan.kind === 'dense';
}

/** Number of trainable values of a network (weights and biases), without allocating it. */
export function specParameterCount(spec: NetworkSpec): number {
  const size = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);
  return planNetwork(spec)
    .filter(hasParameters)
    .reduce((total, plan) => total + size(plan.weightShape) + size(plan.biasShape), 0);
}
