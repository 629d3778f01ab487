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

/** An output of `shape`: `given` as is when there is one, else a new tensor. */
export type TakeOutput = (shape: readonly number[], given?: Tensor) => F32;

/**
 * Runs `body`, which takes its outputs with `take` (new ones on `device`); when it throws, the
 * outputs it allocated (not the ones it was given) are freed before the error propagates.
 */
export function withOutputs<T>(device: string, body: (take: TakeOutput) => T): T {
  const created: Tensor[] = [];
  const take: TakeOutput = (shape, given) => {
    if (given) return given as F32;
    const t = Tensor.empty([...shape], { device }) as F32;
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
