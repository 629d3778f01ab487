// The layer contract between the model and the training loop, and the helpers every layer shares:
// activation buffers reused across steps and input checks.
import { Tensor } from '../tensor';
import type { LayerSpec } from './spec';

/** A trainable tensor and its gradient (same shape, same device). */
export interface Parameter {
  /** '<layer>.weight' or '<layer>.bias', e.g. 'conv1.weight'; a low-rank layer's '<layer>.bases', '.basisBias', '.logits'. */
  name: string;
  value: Tensor<'float32'>;
  /** Overwritten (not accumulated) by every backward pass. */
  grad: Tensor<'float32'>;
}

/**
 * One layer of a {@link Sequential} model. It owns its parameters, their gradients and its activation
 * buffers; the buffers are reused across steps and reallocated only when the batch size changes.
 */
export interface Layer {
  /** 'conv1', 'lc1', 'relu1', 'flatten', 'dense1', ... */
  readonly name: string;
  readonly kind: LayerSpec['type'];
  /** Per-sample input shape. */
  readonly inputShape: number[];
  /** Per-sample output shape. */
  readonly outputShape: number[];
  /**
   * Computes the output of `x` [N, ...inputShape]. The result is owned by the layer and valid until its
   * next forward; `x` must stay valid and unchanged until the matching backward.
   */
  forward(x: Tensor, training: boolean): Tensor;
  /**
   * Back-propagates `dy` [N, ...outputShape] through the last forward: overwrites the parameter
   * gradients and returns the input gradient (owned by the layer), or null when not asked for.
   */
  backward(dy: Tensor, needInputGradient: boolean): Tensor | null;
  /** The layer's parameters (weight, then bias; bases, basisBias, logits); empty for layers without any. */
  parameters(): Parameter[];
  /** Frees every tensor the layer owns; the layer is unusable afterwards. */
  dispose(): void;
}

/**
 * A float32 buffer of shape [N, ...perSample] on one device, reallocated only when N changes (the
 * activations and input gradients a layer hands out).
 */
export class BatchBuffer {
  private tensor: Tensor<'float32'> | null = null;

  constructor(
    private readonly perSample: readonly number[],
    private readonly device: string,
  ) {}

  /** The buffer for a batch of `n`; its contents are whatever the last user left there. */
  get(n: number): Tensor<'float32'> {
    if (this.tensor === null || this.tensor.shape[0] !== n) {
      this.tensor?.dispose();
      this.tensor = null;
      this.tensor = Tensor.empty([n, ...this.perSample], { device: this.device });
    }
    return this.tensor;
  }

  dispose(): void {
    this.tensor?.dispose();
    this.tensor = null;
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Checks that `t` is a live float32 tensor of shape [N, ...perSample] on `device`; returns N.
 * `role` names it in errors, e.g. 'conv1.forward: x'.
 */
export function checkBatch(t: Tensor, perSample: readonly number[], device: string, role: string): number {
  if (!(t instanceof Tensor)) throw new TypeError(`${role} must be a Tensor`);
  if (t.disposed) throw new Error(`${role} is a disposed tensor`);
  if (t.dtype !== 'float32') throw new TypeError(`${role} must be float32, got ${t.dtype}`);
  const shape = t.shape;
  if (shape.length === 0 || !sameShape(shape.slice(1), perSample)) {
    throw new RangeError(`${role} must have shape [N, ${perSample.join(', ')}], got [${shape}]`);
  }
  if (t.device !== device) throw new Error(`${role} is on ${t.device}, but the layer is on ${device}`);
  return shape[0];
}

/** Throws unless `dy` matches the batch of the last forward (N of `lastInput`). */
export function checkGradientBatch(
  dy: Tensor,
  lastInput: Tensor | null,
  perSample: readonly number[],
  device: string,
  layer: string,
): { x: Tensor; n: number } {
  if (lastInput === null || lastInput.disposed) {
    throw new Error(`${layer}.backward: no forward pass to back-propagate through (call forward first)`);
  }
  const n = checkBatch(dy, perSample, device, `${layer}.backward: dy`);
  if (n !== lastInput.shape[0]) {
    throw new RangeError(`${layer}.backward: dy has batch ${n}, but the last forward had ${lastInput.shape[0]}`);
  }
  return { x: lastInput, n };
}
