// Turns resolved layer plans into layers on a device, with parameters from a given source.
import { Tensor } from '../tensor';
import { DenseLayer } from './dense_layer';
import { FlattenLayer } from './flatten_layer';
import { glorotUniform } from './init';
import type { Layer } from './layers';
import { ConvPlan, DensePlan, LayerPlan, LocalPlan, hasParameters } from './plan';
import { ReluLayer } from './relu_layer';
import type { InitialParameters } from './weighted_layer';
import { WindowLayer } from './window_layer';

/** The plan of a layer with parameters. */
export type ParameterizedLayerPlan = ConvPlan | LocalPlan | DensePlan;

/**
 * Supplies the initial weight and bias of the layer `plan` (number `index` in the network) on
 * `device`; the layer takes ownership of the returned tensors.
 */
export type ParameterSource = (plan: ParameterizedLayerPlan, index: number, device: string) => InitialParameters;

/** Glorot-uniform weights (Keras' fans, see kerasFans) seeded by (seed, layer index), and zero biases. */
export function glorotSource(seed: number): ParameterSource {
  return (plan, index, device) => {
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
  if (!hasParameters(plan)) return plan.kind === 'relu' ? new ReluLayer(plan, device) : new FlattenLayer(plan, device);
  const initial = source(plan, index, device);
  try {
    switch (plan.kind) {
      case 'conv':
      case 'local':
        return new WindowLayer(plan, device, initial);
      case 'dense':
        return new DenseLayer(plan, device, initial);
    }
  } catch (error) {
    initial.weight.dispose();
    initial.bias.dispose();
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
