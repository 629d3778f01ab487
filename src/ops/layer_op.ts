// What every layer op (conv2d, local2d, dense) shares around its native call: the checks the
// TypeScript side needs before it can size outputs, and outputs that are freed again when the
// native call throws. Everything else about the arguments is checked once, by the binding.
import { Tensor } from '../tensor';
import { describeValue as describe } from '../util/describe';

/** Outputs of the layer ops are float32 tensors. */
export type F32 = Tensor<'float32'>;

/** Throws a TypeError naming `op` unless `t` is a live Tensor. */
export function checkTensor(t: unknown, name: string, op: string): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${name} must be a Tensor, got ${describe(t)}`);
  if (t.disposed) throw new TypeError(`${op}: ${name} is a disposed tensor`);
}

/** Checks the tensor arguments of `op` by name: every `required` one, and each `optional` one given. */
export function checkTensors(op: string, required: Record<string, unknown>, optional: Record<string, unknown> = {}): void {
  for (const [name, t] of Object.entries(required)) checkTensor(t, name, op);
  for (const [name, t] of Object.entries(optional)) if (t !== null && t !== undefined) checkTensor(t, name, op);
}

/** A new output tensor of `shape`, freed again if the op fails. */
export type TakeOutput = (shape: readonly number[]) => F32;

/**
 * Runs `body`, which allocates its outputs with `take` (on `like`'s device) unless the caller gave
 * them; when it throws, the outputs it allocated are freed before the error propagates.
 */
export function withOutputs<T>(like: Tensor, body: (take: TakeOutput) => T): T {
  const created: Tensor[] = [];
  const take: TakeOutput = (shape) => {
    const t = Tensor.empty([...shape], { device: like.device }) as F32;
    created.push(t);
    return t;
  };
  try {
    return body(take);
  } catch (error) {
    created.forEach((t) => t.dispose());
    throw error;
  }
}
