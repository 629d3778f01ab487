// Sequential: the model the training loop drives. Builds a NetworkSpec's layers on a device, runs the
// forward and backward passes through them, converts CNNs into their locally connected twins, and
// copies its parameters to and from the host for checkpoints.
import { defaultDevice, resolveDevice } from '../device';
import { convToLocal } from '../ops/local';
import { convToLowRank } from '../ops/lowrank';
import { Tensor } from '../tensor';
import { ParameterSource, buildLayers, glorotSource } from './build';
import { Layer, Parameter, checkBatch } from './layers';
import { LowRankInitialParameters, LowRankLayer } from './lowrank_layer';
import { ConvPlan, DensePlan, LayerPlan, LocalPlan, LowRankPlan, planNetwork } from './plan';
import { LocalSpecOptions, NetworkSpec, frozenSpec, toLocalSpec, windowSeed } from './spec';
import { TiedSlot, checkState } from './state';
import { InitialParameters, WeightedLayer } from './weighted_layer';
import { checkOptions } from '../util/options';

/** Options of {@link Sequential.create}. */
export interface CreateOptions {
  /** 'cpu', 'cuda' or 'cuda:N'; default: defaultDevice(). */
  device?: string;
  /** Seed of the Glorot-uniform initialisation, an integer in [0, 2^32). */
  seed: number;
}

/**
 * A locally connected layer as {@link Sequential.localLayers} lists it. For a low-rank layer, weight and
 * bias are its materialised bank and bias (the locally connected layer it computes), not parameters:
 * buffers of the layer, recomputed from its parameters by localLayers() itself and by every forward
 * pass, so call localLayers() again after optimizer steps; writing to them changes nothing the layer
 * keeps.
 */
export interface LocalLayerView {
  /** 'lc1', 'lc2', ... */
  name: string;
  /** [OH, OW, K, C, KH, KW], the live parameter (not a copy); a low-rank layer's materialised bank. */
  weight: Tensor<'float32'>;
  /** [OH, OW, K], the live parameter; a low-rank layer's materialised bias. */
  bias: Tensor<'float32'>;
  /** The gradients of weight and bias the last backward pass wrote (live). */
  weightGrad: Tensor<'float32'>;
  biasGrad: Tensor<'float32'>;
  /** 'local', or 'lowrank': a low-rank locally connected layer (then weight and bias are materialised). */
  kind: 'local' | 'lowrank';
  /** The shared conv kernel [K, C, KH, KW] the layer was converted from (on the model's device), or null. */
  tied: Tensor<'float32'> | null;
}

/** Options of {@link Sequential.toLocal}: which layers, masks, and low-rank layers of which rank. */
export interface ToLocalOptions extends LocalSpecOptions {
  /**
   * With `rank`: the seed of the low-rank layers' random combining logits (an integer in [0, 2^32)); the
   * layer numbered i draws from windowSeed(seed, i). Required with rank, unused without.
   */
  seed?: number;
}

type AnyWeightedLayer = WeightedLayer<ConvPlan | LocalPlan | DensePlan>;
/** A layer with parameters. */
type TrainableLayer = AnyWeightedLayer | LowRankLayer;

/** A window layer's number from its name: planNetwork names them 'conv<N>' and 'lc<N>' by it. */
function windowNumber(name: string): number {
  return Number(/\d+$/.exec(name)![0]);
}

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

  /**
   * Every parameter, in a fixed order (layer order, weight before bias; a low-rank layer's bases, basisBias,
   * logits); the same objects every call.
   */
  parameters(): Parameter[] {
    this.checkLive('parameters');
    return [...this.params];
  }

  /** Number of trainable values (weights and biases; tied kernels are not parameters). */
  parameterCount(): number {
    return this.params.reduce((total, p) => total + p.value.size, 0);
  }

  /**
   * The locally connected layers (full and low-rank), in order, with their live weight and bias and their
   * tied kernel. A low-rank layer's weight and bias are its materialised bank and bias, recomputed from
   * its current parameters by this call (see {@link LocalLayerView}).
   */
  localLayers(): LocalLayerView[] {
    this.checkLive('localLayers');
    return this.trainableLayers().flatMap((layer): LocalLayerView[] => {
      const tied = this.tied.get(layer.name) ?? null;
      if (layer instanceof LowRankLayer) {
        layer.refresh();
        const { name, weight, bias, weightGrad, biasGrad } = layer;
        return [{ name, weight, bias, weightGrad, biasGrad, kind: 'lowrank', tied }];
      }
      if (layer.kind !== 'local') return [];
      const { name, weight, bias } = layer;
      return [{ name, weight: weight.value, bias: bias.value, weightGrad: weight.grad, biasGrad: bias.grad, kind: 'local', tied }];
    });
  }

  /**
   * The CNN → FCN conversion: a new, independent model of `toLocalSpec(spec, options)` on the same
   * device whose freed layers (every convolution, or those `options.layers` names) start with the
   * conv kernel and bias copied to every output position (convToLocal), so that — without input
   * masks — it computes the same function. Its `tied` kernels are copies of the conv kernels. Every
   * other layer, and local layers already present (with their tied kernels), is copied.
   *
   * With `options.rank` the freed layers are low-rank locally connected layers of that rank instead
   * (convToLowRank): every basis a copy of the conv kernel and bias, so again the same function, exactly
   * (each position's materialised bank is the kernel bit for bit), and random combining logits drawn from
   * `options.seed` (required then), layer i's from windowSeed(seed, i).
   */
  toLocal(options: ToLocalOptions = {}): Sequential {
    this.checkLive('toLocal');
    const { seed, ...specOptions } = checkOptions(options, ['layers', 'mask', 'rank', 'seed'], 'Sequential.toLocal');
    if (specOptions.rank !== undefined && seed === undefined) {
      throw new TypeError('Sequential.toLocal: options.seed is needed with rank (it draws the combining logits)');
    }
    if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)) {
      throw new RangeError(`Sequential.toLocal: seed must be an integer in [0, 2^32), got ${String(seed)}`);
    }
    const spec = frozenSpec(toLocalSpec(this.spec, specOptions));
    const tied = new Map<string, Tensor<'float32'>>();
    // Layers with parameters come in the same order in both networks (masks have none).
    const trainable = this.trainableLayers();
    let next = 0;
    try {
      return Sequential.build(spec, this.device, (plan) => {
        const old = trainable[next++];
        if (old.kind === 'conv' && (plan.kind === 'local' || plan.kind === 'lowrank')) {
          const { outputHeight: oh, outputWidth: ow } = plan.geometry;
          const [w, b] = [old.weight.value, old.bias.value];
          tied.set(plan.name, w.clone() as Tensor<'float32'>);
          if (plan.kind === 'local') {
            const { weight, bias } = convToLocal(w, b, oh, ow);
            return { weight, bias: bias as Tensor<'float32'> };
          }
          const { bases, basisBias, logits } = convToLowRank(w, b, oh, ow, plan.rank, windowSeed(seed!, windowNumber(plan.name)));
          return { bases, basisBias: basisBias as Tensor<'float32'>, logits };
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
        return this.copyParameters(this.layers[index] as TrainableLayer);
      }, tied);
    } catch (error) {
      tied.forEach((t) => t.dispose());
      throw error;
    }
  }

  private copyParameters(layer: TrainableLayer): InitialParameters | LowRankInitialParameters {
    const copies: Tensor<'float32'>[] = [];
    const copy = (p: Parameter): Tensor<'float32'> => {
      copies.push(p.value.clone() as Tensor<'float32'>);
      return copies[copies.length - 1];
    };
    try {
      if (layer instanceof LowRankLayer) return { bases: copy(layer.bases), basisBias: copy(layer.basisBias), logits: copy(layer.logits) };
      return { weight: copy(layer.weight), bias: copy(layer.bias) };
    } catch (error) {
      copies.forEach((t) => t.dispose());
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
    const locals = this.plans.filter((plan): plan is LocalPlan | LowRankPlan => plan.kind === 'local' || plan.kind === 'lowrank');
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

  private trainableLayers(): TrainableLayer[] {
    return this.layers.filter((layer): layer is TrainableLayer => layer instanceof WeightedLayer || layer instanceof LowRankLayer);
  }
}
