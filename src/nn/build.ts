// Turns resolved layer plans into layers on a device, with parameters from a given source.
import { Tensor } from '../tensor';
import { DenseLayer } from './dense_layer';
import { FlattenLayer } from './flatten_layer';
import { glorotLimit, glorotUniform, kerasFans, uniformArray } from './init';
import type { Layer } from './layers';
import { LowRankInitialParameters, LowRankLayer } from './lowrank_layer';
import { MaskLayer } from './mask_layer';
import { ConvPlan, DensePlan, LayerPlan, LocalPlan, LowRankPlan, hasParameters } from './plan';
import { ReluLayer } from './relu_layer';
import type { InitialParameters } from './weighted_layer';
import { WindowLayer } from './window_layer';

/** The plan of a layer with parameters. */
export type ParameterizedLayerPlan = ConvPlan | LocalPlan | LowRankPlan | DensePlan;

/**
 * Supplies the initial parameters of the layer `plan` (number `index` in the network) on `device`: a
 * weight and a bias, or for a low-rank plan its bases, basis biases and logits. The layer takes
 * ownership of the returned tensors.
 */
export type ParameterSource = (
  plan: ParameterizedLayerPlan,
  index: number,
  device: string,
) => InitialParameters | LowRankInitialParameters;

/** Frees every tensor of an initial-parameter object. */
function disposeInitial(initial: InitialParameters | LowRankInitialParameters): void {
  Object.values(initial).forEach((t: Tensor) => t.disposed || t.dispose());
}

/**
 * A low-rank layer from scratch: every basis Glorot-uniform with a convolution's fans (the bases are conv
 * banks), seeded by (seed, layer index) as one array [R·K, C, KH, KW]; zero basis biases and zero logits,
 * so every position starts with the mean of the bases, one bank for all: a convolution, as Elsayed et al.'s
 * default ('conv_init') starts.
 */
function lowRankFromScratch(plan: LowRankPlan, seed: number, index: number, device: string): LowRankInitialParameters {
  const limit = glorotLimit(kerasFans('conv', plan.basesShape.slice(1)));
  const count = plan.basesShape.reduce((a, b) => a * b, 1);
  const made: Tensor[] = [];
  try {
    const bases = Tensor.from(uniformArray(count, limit, seed, index), plan.basesShape, { device }) as Tensor<'float32'>;
    made.push(bases);
    const basisBias = Tensor.zeros(plan.basisBiasShape, { device }) as Tensor<'float32'>;
    made.push(basisBias);
    return { bases, basisBias, logits: Tensor.zeros(plan.logitsShape, { device }) as Tensor<'float32'> };
  } catch (error) {
    made.forEach((t) => t.dispose());
    throw error;
  }
}

/**
 * Glorot-uniform weights (Keras' fans, see kerasFans) seeded by (seed, layer index), and zero biases; a
 * low-rank layer's as lowRankFromScratch says.
 */
export function glorotSource(seed: number): ParameterSource {
  return (plan, index, device) => {
    if (plan.kind === 'lowrank') return lowRankFromScratch(plan, seed, index, device);
    const values = glorotUniform(plan.kind, plan.weightShape, seed, index);
    const weight = Tensor.from(values, plan.weightShape, { device }) as Tensor<'float32'>;
    try {
      return { weight, bias: Tensor.zeros(plan.biasShape, { device }) as Tensor<'float32'> };
    } catch (error) {
      weight.dispose();
      throw error;
    }
  };
}

function instantiate(plan: LayerPlan, index: number, device: string, source: ParameterSource): Layer {
  if (plan.kind === 'mask') return new MaskLayer(plan, device);
  if (plan.kind === 'lowrank') {
    const initial = source(plan, index, device);
    if (!('bases' in initial)) {
      disposeInitial(initial);
      throw new TypeError(`${plan.name}: a low-rank layer needs { bases, basisBias, logits } from its parameter source`);
    }
    return new LowRankLayer(plan, device, initial);  // owns the tensors, also when it throws
  }
  if (!hasParameters(plan)) return plan.kind === 'relu' ? new ReluLayer(plan, device) : new FlattenLayer(plan, device);
  const initial = source(plan, index, device);
  try {
    if (!('weight' in initial)) throw new TypeError(`${plan.name}: the layer needs { weight, bias } from its parameter source`);
    switch (plan.kind) {
      case 'conv':
      case 'local':
        return new WindowLayer(plan, device, initial);
      case 'dense':
        return new DenseLayer(plan, device, initial);
    }
  } catch (error) {
    disposeInitial(initial);
    throw error;
  }
}

/**
 * The layers of a planned network on `device` (a canonical device name), parameters from `source`.
 * On failure every layer already made is freed.
 */
export function buildLayers(plans: readonly LayerPlan[], device: string, source: ParameterSource): Layer[] {
  const layers: Layer[] = [];
  try {
    plans.forEach((plan, index) => layers.push(instantiate(plan, index, device, source)));
  } catch (error) {
    layers.forEach((layer) => layer.dispose());
    throw error;
  }
  return layers;
}
