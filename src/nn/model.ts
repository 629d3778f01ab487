// Sequential: the model the training loop drives. Builds a NetworkSpec's layers on a device, runs the
// forward and backward passes through them, converts CNNs into their locally connected twins, and
// copies its parameters to and from the host for checkpoints.
import { defaultDevice, resolveDevice } from '../device';
import { convToLocal } from '../ops/local';
import { Tensor } from '../tensor';
import { ParameterSource, buildLayers, glorotSource } from './build';
import { Layer, Parameter, checkBatch } from './layers';
import { ConvPlan, DensePlan, LayerPlan, LocalPlan, planNetwork } from './plan';
import { NetworkSpec, frozenSpec, toLocalSpec } from './spec';
import { TiedSlot, checkState } from './state';
import { WeightedLayer } from './weighted_layer';
import { checkOptions } from '../util/options';

/** Options of {@link Sequential.create}. */
export interface CreateOptions {
  /** 'cpu', 'cuda' or 'cuda:N'; default: defaultDevice(). */
  device?: string;
  /** Seed of the Glorot-uniform initialisation, an integer in [0, 2^32). */
  seed: number;
}

/** A locally connected layer as {@link Sequential.localLayers} lists it. */
export interface LocalLayerView {
  /** 'lc1', 'lc2', ... */
  name: string;
  /** [OH, OW, K, C, KH, KW], the live parameter (not a copy). */
  weight: Tensor<'float32'>;
  /** [OH, OW, K], the live parameter. */
  bias: Tensor<'float32'>;
  /** The shared conv kernel [K, C, KH, KW] the layer was converted from (on the model's device), or null. */
  tied: Tensor<'float32'> | null;
}

type AnyWeightedLayer = WeightedLayer<ConvPlan | LocalPlan | DensePlan>;

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`Sequential.create: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
  return seed;
}

/**
 * A sequential network on one device. Every buffer stays on that device: only
 * {@link Sequential.state}, {@link Sequential.loadState} and creation move data between host and device.
 *
 * One training step: `logits = model.forward(x, true)`; the loss gives `dlogits`;
 * `model.backward(dlogits)`; the optimizer updates `model.parameters()` values from their grads.
 */
export class Sequential {
  /** The network this model was built from (a frozen copy; clones share it). */
  readonly spec: NetworkSpec;
  /** Canonical device name: 'cpu' or 'cuda:N'. */
  readonly device: string;
  readonly layers: readonly Layer[];
  private readonly plans: readonly LayerPlan[];
  private readonly params: readonly Parameter[];
  /** Tied kernels of converted locally connected layers, by layer name. */
  private readonly tied: Map<string, Tensor<'float32'>>;
  /** Index of the first layer with parameters: backward stops there. */
  private readonly firstTrainable: number;
  private disposed = false;

  private constructor(
    spec: NetworkSpec,
    device: string,
    plans: LayerPlan[],
    layers: Layer[],
    tied: Map<string, Tensor<'float32'>>,
  ) {
    this.spec = spec;
    this.device = device;
    this.plans = plans;
    this.layers = Object.freeze([...layers]);
    this.params = Object.freeze(layers.flatMap((layer) => layer.parameters()));
    this.tied = tied;
    const first = layers.findIndex((layer) => layer.parameters().length > 0);
    this.firstTrainable = first < 0 ? layers.length : first;
  }

  /**
   * A new model of `spec` on `options.device`: Glorot-uniform kernels with the fans Keras computes for
   * Conv2D, LocallyConnected2D and Dense (see kerasFans), zero biases. The same seed gives the same
   * weights on every device (they are generated on the host, layer i from Philox stream i, and uploaded once).
   */
  static create(spec: NetworkSpec, options: CreateOptions): Sequential {
    options = checkOptions(options ?? ({} as CreateOptions), ['device', 'seed'], 'Sequential.create');
    const seed = checkSeed(options.seed);
    const device = resolveDevice(options.device ?? defaultDevice());
    return Sequential.build(frozenSpec(spec), device, glorotSource(seed), new Map());
  }

  private static build(
    spec: NetworkSpec,
    device: string,
    source: ParameterSource,
    tied: Map<string, Tensor<'float32'>>,
  ): Sequential {
    const plans = planNetwork(spec);
    const layers = buildLayers(plans, device, source);
    return new Sequential(spec, device, plans, layers, tied);
  }

  private checkLive(what: string): void {
    if (this.disposed) throw new Error(`Sequential.${what}: the model has been disposed`);
  }

  /**
   * Logits [N, classes] of a batch x [N, C, H, W] (float32, on the model's device). The result is
   * owned by the model and valid until the next forward; x must stay unchanged until backward.
   * `training` is passed to every layer (none of the current layers behaves differently).
   */
  forward(x: Tensor, training: boolean): Tensor {
    this.checkLive('forward');
    checkBatch(x, this.spec.inputShape, this.device, `Sequential.forward (${this.spec.name}): x`);
    let activation = x;
    for (const layer of this.layers) activation = layer.forward(activation, training);
    return activation;
  }

  /**
   * Back-propagates dlogits [N, classes] (the loss gradient for the last forward's logits) and
   * overwrites every parameter's grad. No input gradient is computed for the first layer with
   * parameters, nor anything below it. `dlogits` is read, not modified.
   */
  backward(dlogits: Tensor): void {
    this.checkLive('backward');
    let gradient: Tensor | null = dlogits;
    for (let i = this.layers.length - 1; i >= this.firstTrainable && gradient !== null; i--) {
      gradient = this.layers[i].backward(gradient, i > this.firstTrainable);
    }
  }

  /** Every parameter, in a fixed order (layer order, weight before bias); the same objects every call. */
  parameters(): Parameter[] {
    this.checkLive('parameters');
    return [...this.params];
  }

  /** Number of trainable values (weights and biases; tied kernels are not parameters). */
  parameterCount(): number {
    return this.params.reduce((total, p) => total + p.value.size, 0);
  }

  /** The locally connected layers, in order, with their live weight and bias and their tied kernel. */
  localLayers(): LocalLayerView[] {
    this.checkLive('localLayers');
    return this.weightedLayers()
      .filter((layer) => layer.kind === 'local')
      .map((layer) => ({
        name: layer.name,
        weight: layer.weight.value,
        bias: layer.bias.value,
        tied: this.tied.get(layer.name) ?? null,
      }));
  }

  /**
   * The CNN → FCN conversion: a new, independent model of `toLocalSpec(spec)` on the same device whose
   * locally connected layers start with the conv kernel and bias copied to every output position
   * (convToLocal), so it computes the same function. Its `tied` kernels are copies of the conv kernels.
   * Dense layers, and local layers already present (with their tied kernels), are copied.
   */
  toLocal(): Sequential {
    this.checkLive('toLocal');
    const spec = frozenSpec(toLocalSpec(this.spec));
    const tied = new Map<string, Tensor<'float32'>>();
    try {
      return Sequential.build(spec, this.device, (plan, index) => {
        const old = this.layers[index] as AnyWeightedLayer;
        if (old.kind === 'conv' && plan.kind === 'local') {
          const { outputHeight, outputWidth } = plan.geometry;
          const { weight, bias } = convToLocal(old.weight.value, old.bias.value, outputHeight, outputWidth);
          tied.set(plan.name, old.weight.value.clone() as Tensor<'float32'>);
          return { weight, bias: bias as Tensor<'float32'> };
        }
        const oldTied = this.tied.get(old.name);
        if (oldTied) tied.set(plan.name, oldTied.clone() as Tensor<'float32'>);
        return this.copyParameters(old);
      }, tied);
    } catch (error) {
      tied.forEach((t) => t.dispose());
      throw error;
    }
  }

  /** A deep copy on the same device (parameters and tied kernels; gradients start at zero). */
  clone(): Sequential {
    this.checkLive('clone');
    const tied = new Map<string, Tensor<'float32'>>();
    try {
      for (const [name, t] of this.tied) tied.set(name, t.clone() as Tensor<'float32'>);
      return Sequential.build(this.spec, this.device, (_plan, index) => {
        return this.copyParameters(this.layers[index] as AnyWeightedLayer);
      }, tied);
    } catch (error) {
      tied.forEach((t) => t.dispose());
      throw error;
    }
  }

  private copyParameters(layer: AnyWeightedLayer): { weight: Tensor<'float32'>; bias: Tensor<'float32'> } {
    const weight = layer.weight.value.clone() as Tensor<'float32'>;
    try {
      return { weight, bias: layer.bias.value.clone() as Tensor<'float32'> };
    } catch (error) {
      weight.dispose();
      throw error;
    }
  }

  /**
   * Every parameter by name ('conv1.weight', 'conv1.bias', ...) in {@link parameters} order, then each
   * tied kernel ('lc1.tied', ...), copied to the host.
   */
  state(): Map<string, Float32Array> {
    this.checkLive('state');
    const state = new Map<string, Float32Array>();
    for (const p of this.params) state.set(p.name, p.value.toArray());
    for (const [name, t] of this.tied) state.set(`${name}.tied`, t.toArray() as Float32Array);
    return state;
  }

  /**
   * Loads a state from {@link state} (of a model of the same network) in place: parameter tensors keep
   * their identity, so an optimizer holding them stays valid. Every parameter must be present with its
   * exact size; '<lc>.tied' entries are optional: present, they set the layer's tied kernel; absent, the
   * layer has none afterwards. Everything is checked before anything is written.
   */
  loadState(state: Map<string, Float32Array>): void {
    this.checkLive('loadState');
    const locals = this.plans.filter((plan): plan is LocalPlan => plan.kind === 'local');
    const slots: TiedSlot[] = locals.map((plan) => ({
      name: `${plan.name}.tied`,
      size: product(plan.weightShape.slice(2)),
    }));
    checkState(state, this.params, slots, `Sequential.loadState (${this.spec.name})`);
    for (const p of this.params) p.value.write(state.get(p.name) as Float32Array);
    for (const plan of locals) {
      const values = state.get(`${plan.name}.tied`);
      const existing = this.tied.get(plan.name);
      if (values === undefined) {
        existing?.dispose();
        this.tied.delete(plan.name);
      } else if (existing) {
        existing.write(values);
      } else {
        const kernel = Tensor.from(values, plan.weightShape.slice(2), { device: this.device });
        this.tied.set(plan.name, kernel as Tensor<'float32'>);
      }
    }
  }

  /** Frees every tensor of the model (parameters, gradients, buffers, tied kernels); later use throws. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.layers.forEach((layer) => layer.dispose());
    this.tied.forEach((t) => t.dispose());
    this.tied.clear();
  }

  private weightedLayers(): AnyWeightedLayer[] {
    return this.layers.filter((layer): layer is AnyWeightedLayer => layer instanceof WeightedLayer);
  }
}
