// Fused optimizer updates (SGD with momentum, Adam): one native pass per parameter tensor, in
// place, on the parameter's device. The classes own their state tensors.
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { checkOptions } from '../util/options';

/** Hyperparameters of one SGD update. */
export interface SGDHyperparameters {
  /** Learning rate, finite and >= 0. */
  lr: number;
  /** Momentum in [0, 1); 0 is plain SGD. */
  momentum: number;
  /** Nesterov momentum. */
  nesterov: boolean;
  /** L2 penalty added to the gradient (weightDecay · param), >= 0. */
  weightDecay: number;
}

/** Hyperparameters of one Adam update. */
export interface AdamHyperparameters {
  /** Learning rate, finite and >= 0. */
  lr: number;
  /** Decay of the first moment, in [0, 1). */
  beta1: number;
  /** Decay of the second moment, in [0, 1). */
  beta2: number;
  /** Added to sqrt(v̂) in the denominator, > 0. */
  epsilon: number;
  /** L2 penalty added to the gradient (weightDecay · param), >= 0. */
  weightDecay: number;
}

/**
 * One SGD step in place, PyTorch semantics (no dampening):
 * g = grad + weightDecay·param; v = momentum·v + g; step = nesterov ? g + momentum·v : v;
 * param -= lr·step. With momentum 0 the step is g and `velocity` is left untouched (it must
 * still be passed). All tensors float32, same shape, same device; velocity distinct from the others.
 */
export function sgdUpdate(param: Tensor, grad: Tensor, velocity: Tensor, h: SGDHyperparameters): void {
  nativeAddon().sgdUpdate(param.native, grad.native, velocity.native, h.lr, h.momentum, h.nesterov, h.weightDecay);
}

/**
 * Adam update number `step` (1 for the first) in place:
 * g = grad + weightDecay·param; m = β1·m + (1-β1)·g; v = β2·v + (1-β2)·g²;
 * param -= lr · (m/(1-β1^step)) / (sqrt(v/(1-β2^step)) + ε). The bias corrections are computed in
 * double on the host. All tensors float32, same shape, same device, m and v distinct from the others.
 */
export function adamUpdate(
  param: Tensor,
  grad: Tensor,
  m: Tensor,
  v: Tensor,
  step: number,
  h: AdamHyperparameters,
): void {
  const { lr, beta1, beta2, epsilon, weightDecay } = h;
  nativeAddon().adamUpdate(param.native, grad.native, m.native, v.native, lr, beta1, beta2, epsilon, step, weightDecay);
}

function checkNumber(what: string, name: string, x: number, ok: (x: number) => boolean, range: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) {
    throw new RangeError(`${what}: ${name} must be ${range}, got ${String(x)}`);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** What a checkpoint records about an optimizer besides its arrays. */
export interface OptimizerMeta {
  /** Which optimizer wrote the state ('adam', 'sgd'). */
  kind: string;
  /** Updates applied so far. */
  step: number;
  /** Parameters the state covers (0 before the first step). */
  parameters: number;
}

/** One state array of an optimizer: its name ('m/0', 'velocity/3', …), the parameter it belongs to, its values. */
export interface OptimizerStateArray {
  name: string;
  /** Index of the parameter in the list given to `step`; the array has that parameter's size (and shape). */
  parameter: number;
  values: Float32Array;
}

/**
 * What the training loop and the checkpoints need from an optimizer, whichever it is: a step, and
 * its state as named arrays plus a small meta, out and back in.
 */
export interface Optimizer {
  /** Which optimizer this is ('adam', 'sgd'): the meta's kind. */
  readonly kind: string;
  /** Learning rate; may be changed between steps. */
  lr: number;
  /** Updates applied so far. */
  readonly iterations: number;
  /** Applies one update to every params[i] from grads[i], in place. */
  step(params: readonly Tensor[], grads: readonly Tensor[]): void;
  /** The state as named arrays (copies) and its meta. */
  exportState(): { meta: OptimizerMeta; arrays: OptimizerStateArray[] };
  /**
   * Restores a state from {@link exportState}'s meta and arrays (looked up by name); `where` names the
   * source (a file) in errors. A meta of another kind, or a missing array, is an error.
   */
  importState(meta: OptimizerMeta, arrays: ReadonlyMap<string, Float32Array>, where: string): void;
  /** Frees the state tensors. */
  dispose(): void;
}

/**
 * Per-parameter state tensors (velocity for SGD; m and v for Adam), created lazily on the first
 * step as zeros on each parameter's device (or from loaded arrays), one set per position in the
 * parameter list.
 */
class StateSlots {
  private tensors: Tensor[][] = [];
  private pending: Float32Array[][] | null = null;

  constructor(
    private readonly what: string,
    private readonly names: readonly string[],
  ) {}

  get count(): number {
    return this.pending ? this.pending[0].length : this.tensors.length;
  }

  /** Checks params against grads and any existing state, then creates missing state. */
  prepare(params: readonly Tensor[], grads: readonly Tensor[]): Tensor[][] {
    if (!Array.isArray(params) || !Array.isArray(grads)) {
      throw new TypeError(`${this.what}.step: params and grads must be arrays of tensors`);
    }
    if (params.length !== grads.length) {
      throw new RangeError(`${this.what}.step: ${params.length} params but ${grads.length} grads`);
    }
    const known = this.tensors.length > 0 || this.pending !== null;
    if (known && params.length !== this.count) {
      throw new RangeError(
        `${this.what}.step: got ${params.length} params but the optimizer state holds ${this.count}; ` +
          'pass the same parameter list, in the same order, at every step',
      );
    }
    params.forEach((p, i) => {
      if (!(p instanceof Tensor) || !(grads[i] instanceof Tensor)) {
        throw new TypeError(`${this.what}.step: params[${i}] and grads[${i}] must be tensors`);
      }
      if (!sameShape(p.shape, grads[i].shape)) {
        throw new RangeError(
          `${this.what}.step: grads[${i}] has shape [${grads[i].shape}] but params[${i}] has [${p.shape}]`,
        );
      }
      this.pending?.forEach((list, k) => {
        if (list[i].length !== p.size) {
          throw new RangeError(
            `${this.what}.step: loaded ${this.names[k]}[${i}] has ${list[i].length} values ` +
              `but params[${i}] has ${p.size}`,
          );
        }
      });
      const existing = this.tensors[i]?.[0];
      if (existing && (!sameShape(existing.shape, p.shape) || existing.device !== p.device)) {
        throw new RangeError(
          `${this.what}.step: params[${i}] is [${p.shape}] on ${p.device} but its state is [${existing.shape}] on ` +
            `${existing.device}; pass the same parameter list at every step`,
        );
      }
    });
    if (this.tensors.length === 0) {
      const pending = this.pending;
      this.tensors = params.map((p, i) =>
        this.names.map((_, k) => {
          const options = { device: p.device };
          return pending ? Tensor.from(pending[k][i], p.shape, options) : Tensor.zeros(p.shape, options);
        }),
      );
      this.pending = null;
    }
    return this.tensors;
  }

  /** Copies of the state, one array per name, each with one typed array per parameter. */
  read(): Float32Array[][] {
    if (this.pending) return this.pending.map((list) => list.map((a) => a.slice()));
    return this.names.map((_, k) => this.tensors.map((slot) => slot[k].toArray() as Float32Array));
  }

  /** Replaces the state: written into existing tensors, else kept until the next step creates them. */
  load(arrays: readonly (readonly Float32Array[])[]): void {
    arrays.forEach((list, k) => {
      if (!Array.isArray(list) || !list.every(isFloat32Array)) {
        throw new TypeError(
          `${this.what}.loadState: ${this.names[k]} must be an array of Float32Arrays, one per parameter`,
        );
      }
      if (list.length !== arrays[0].length) {
        throw new RangeError(
          `${this.what}.loadState: ${this.names[k]} has ${list.length} arrays, ${this.names[0]} ${arrays[0].length}`,
        );
      }
    });
    const count = arrays[0].length;
    if (this.tensors.length > 0) {
      if (count !== this.tensors.length) {
        throw new RangeError(
          `${this.what}.loadState: state for ${count} params, the optimizer has ${this.tensors.length}`,
        );
      }
      arrays.forEach((list, k) =>
        list.forEach((a, i) => {
          const size = this.tensors[i][k].size;
          if (a.length !== size) {
            throw new RangeError(
              `${this.what}.loadState: ${this.names[k]}[${i}] has ${a.length} values, expected ${size}`,
            );
          }
        }),
      );
      arrays.forEach((list, k) => list.forEach((a, i) => this.tensors[i][k].write(a)));
    } else {
      this.pending = count === 0 ? null : arrays.map((list) => list.map((a) => a.slice()));
    }
  }

  /** The state as named arrays: `<name>/<parameter index>` (copies). */
  named(): OptimizerStateArray[] {
    return this.read().flatMap((list, k) => list.map((values, i) => ({ name: `${this.names[k]}/${i}`, parameter: i, values })));
  }

  /** The arrays of `count` parameters from a map written by {@link named}, one list per name; throws naming a missing one. */
  fromNamed(arrays: ReadonlyMap<string, Float32Array>, count: number, where: string): Float32Array[][] {
    return this.names.map((name) =>
      Array.from({ length: count }, (_, i) => {
        const a = arrays.get(`${name}/${i}`);
        if (!a) throw new Error(`${where}: ${this.what} state ${name}/${i} is missing`);
        return a;
      }),
    );
  }

  dispose(): void {
    for (const slot of this.tensors) for (const t of slot) t.dispose();
    this.tensors = [];
    this.pending = null;
  }
}

// Realm-independent (arrays read from native tensors may come from another realm, e.g. under jest).
function isFloat32Array(a: unknown): a is Float32Array {
  return Object.prototype.toString.call(a) === '[object Float32Array]';
}

function checkStep(what: string, step: unknown): number {
  if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
    throw new RangeError(`${what}.loadState: step must be an integer >= 0, got ${String(step)}`);
  }
  return step;
}

function checkKind(what: string, kind: string, meta: OptimizerMeta, where: string): void {
  if (meta === null || typeof meta !== 'object' || meta.kind !== kind) {
    throw new Error(`${where}: holds ${String(meta?.kind)} optimizer state, but the optimizer is ${what}`);
  }
  if (!Number.isInteger(meta.parameters) || meta.parameters < 0) {
    throw new RangeError(`${where}: the ${what} state covers ${String(meta.parameters)} parameters`);
  }
}

/** Options of {@link SGD}; defaults lr 0.01 (Keras' default), momentum 0.9, nesterov false, weightDecay 0. */
export type SGDOptions = Partial<SGDHyperparameters>;

/** A checkpoint of {@link SGD}: plain arrays, one per parameter in parameter-list order. */
export interface SGDState {
  /** Updates applied so far. */
  step: number;
  velocity: Float32Array[];
}

/**
 * Stochastic gradient descent with momentum (PyTorch semantics, see {@link sgdUpdate}). The
 * velocities are created as zeros on each parameter's device at the first {@link SGD.step}; pass
 * the same parameter list, in the same order, at every step.
 */
export class SGD implements Optimizer {
  readonly kind = 'sgd';
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private steps = 0;
  private readonly slots = new StateSlots('SGD', ['velocity']);

  constructor(options: SGDOptions = {}) {
    options = checkOptions(options, ['lr', 'momentum', 'nesterov', 'weightDecay'], 'SGD');
    this.lr = options.lr ?? 0.01;
    this.momentum = options.momentum ?? 0.9;
    this.nesterov = options.nesterov ?? false;
    this.weightDecay = options.weightDecay ?? 0;
    checkNumber('SGD', 'lr', this.lr, (x) => x >= 0, 'a finite number >= 0');
    checkNumber('SGD', 'momentum', this.momentum, (x) => x >= 0 && x < 1, 'in [0, 1)');
    checkNumber('SGD', 'weightDecay', this.weightDecay, (x) => x >= 0, 'a finite number >= 0');
    if (typeof this.nesterov !== 'boolean') {
      throw new TypeError(`SGD: nesterov must be a boolean, got ${String(this.nesterov)}`);
    }
  }

  /** Updates applied so far. */
  get iterations(): number {
    return this.steps;
  }

  /** Applies one update to every params[i] from grads[i] (same shapes), in place. */
  step(params: readonly Tensor[], grads: readonly Tensor[]): void {
    const state = this.slots.prepare(params, grads);
    const h: SGDHyperparameters = {
      lr: this.lr,
      momentum: this.momentum,
      nesterov: this.nesterov,
      weightDecay: this.weightDecay,
    };
    params.forEach((p, i) => sgdUpdate(p, grads[i], state[i][0], h));
    this.steps++;
  }

  /** A copy of the state (reads the velocities back from their devices). */
  state(): SGDState {
    const [velocity] = this.slots.read();
    return { step: this.steps, velocity: velocity ?? [] };
  }

  /** Restores a state from {@link SGD.state}; tensors are written now, or created at the next step. */
  loadState(state: SGDState): void {
    const step = checkStep('SGD', state?.step);
    this.slots.load([state.velocity]);
    this.steps = step;
  }

  /** The velocities as named arrays ('velocity/<i>') and the meta. */
  exportState(): { meta: OptimizerMeta; arrays: OptimizerStateArray[] } {
    return { meta: { kind: this.kind, step: this.steps, parameters: this.slots.count }, arrays: this.slots.named() };
  }

  /** Restores what {@link SGD.exportState} gave. */
  importState(meta: OptimizerMeta, arrays: ReadonlyMap<string, Float32Array>, where: string): void {
    checkKind('sgd', this.kind, meta, where);
    const [velocity] = this.slots.fromNamed(arrays, meta.parameters, where);
    this.loadState({ step: meta.step, velocity });
  }

  /** Frees the state tensors and resets the step count: a later step starts afresh. */
  dispose(): void {
    this.slots.dispose();
    this.steps = 0;
  }
}

/**
 * Options of {@link Adam}; defaults lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7 (Keras'
 * default; PyTorch's is 1e-8), weightDecay 0.
 */
export type AdamOptions = Partial<AdamHyperparameters>;

/** A checkpoint of {@link Adam}: the update count and plain arrays, one per parameter. */
export interface AdamState {
  /** Updates applied so far (the next uses bias corrections for step + 1). */
  step: number;
  m: Float32Array[];
  v: Float32Array[];
}

/**
 * Adam (see {@link adamUpdate}). ε is added to sqrt(v̂), the bias-corrected second moment, as in
 * PyTorch and the Adam paper; Keras adds its ε to sqrt(v) before the bias correction, which is the
 * same as ε/sqrt(1-β2^t) here, a difference that vanishes after the first few thousand steps.
 * Moments are created as zeros on each parameter's device at the first {@link Adam.step}; pass the
 * same parameter list, in the same order, at every step.
 */
export class Adam implements Optimizer {
  readonly kind = 'adam';
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  private steps = 0;
  private readonly slots = new StateSlots('Adam', ['m', 'v']);

  constructor(options: AdamOptions = {}) {
    options = checkOptions(options, ['lr', 'beta1', 'beta2', 'epsilon', 'weightDecay'], 'Adam');
    this.lr = options.lr ?? 1e-3;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    this.weightDecay = options.weightDecay ?? 0;
    checkNumber('Adam', 'lr', this.lr, (x) => x >= 0, 'a finite number >= 0');
    checkNumber('Adam', 'beta1', this.beta1, (x) => x >= 0 && x < 1, 'in [0, 1)');
    checkNumber('Adam', 'beta2', this.beta2, (x) => x >= 0 && x < 1, 'in [0, 1)');
    checkNumber('Adam', 'epsilon', this.epsilon, (x) => x > 0, 'a finite number > 0');
    checkNumber('Adam', 'weightDecay', this.weightDecay, (x) => x >= 0, 'a finite number >= 0');
  }

  /** Updates applied so far. */
  get iterations(): number {
    return this.steps;
  }

  /** Applies one update to every params[i] from grads[i] (same shapes), in place. */
  step(params: readonly Tensor[], grads: readonly Tensor[]): void {
    const state = this.slots.prepare(params, grads);
    const h: AdamHyperparameters = {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      weightDecay: this.weightDecay,
    };
    const t = this.steps + 1;
    params.forEach((p, i) => adamUpdate(p, grads[i], state[i][0], state[i][1], t, h));
    this.steps = t;
  }

  /** A copy of the state (reads the moments back from their devices). */
  state(): AdamState {
    const [m, v] = this.slots.read();
    return { step: this.steps, m: m ?? [], v: v ?? [] };
  }

  /** Restores a state from {@link Adam.state}; tensors are written now, or created at the next step. */
  loadState(state: AdamState): void {
    const step = checkStep('Adam', state?.step);
    this.slots.load([state.m, state.v]);
    this.steps = step;
  }

  /** The moments as named arrays ('m/<i>', 'v/<i>') and the meta. */
  exportState(): { meta: OptimizerMeta; arrays: OptimizerStateArray[] } {
    return { meta: { kind: this.kind, step: this.steps, parameters: this.slots.count }, arrays: this.slots.named() };
  }

  /** Restores what {@link Adam.exportState} gave. */
  importState(meta: OptimizerMeta, arrays: ReadonlyMap<string, Float32Array>, where: string): void {
    checkKind('adam', this.kind, meta, where);
    const [m, v] = this.slots.fromNamed(arrays, meta.parameters, where);
    this.loadState({ step: meta.step, m, v });
  }

  /** Frees the moment tensors and resets the step count: a later step starts afresh. */
  dispose(): void {
    this.slots.dispose();
    this.steps = 0;
  }
}
