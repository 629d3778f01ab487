// Degrees of weight sharing in a locally connected layer (../shared/RESEARCH.md): periodic re-tying
// toward the mean bank (Pogodin et al. 2021), the soft-tying penalty's gradient and value, and Ott et
// al.'s variable connection probability (a fixed random input mask). A weight [OH, OW, K, C, KH, KW]
// holds one contiguous bank per output position p (P = OH·OW of them), its bias [OH, OW, K]; W̄ and b̄
// are their means over positions. The arithmetic runs natively on the tensors' device (definitions
// and summation orders: common/sharing_math.h); the masks are drawn here, on the host.
import { defaultDevice, resolveDevice } from '../device';
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { describeValue as describe } from '../util/describe';
import { draw, uniformOpen0 } from './augment_random';
import { checkTensors, withOutputs } from './layer_op';

/**
 * The Philox domain (third counter word) of the VCP masks: 'vcp' in ASCII. Not used elsewhere: the
 * augmentation kernels use 1 to 3 (RandomDomain), the training loop's own draws 101 to 103
 * (src/train/batches.ts), weight initialisation 0x696e6974 'init' (INIT_DOMAIN).
 */
export const VCP_DOMAIN = 0x00766370;

/** The most elements a mask may have: it is drawn into one host array first. */
const MAX_MASK_ELEMENTS = 2 ** 31 - 1;

/**
 * Pulls every output position's filter bank (and bias) toward the mean over positions, in place:
 * W_p ← (1 − α)·W_p + α·W̄ and b_p ← (1 − α)·b_p + α·b̄, α = `strength` in [0, 1]. α = 1 sets every
 * position to the mean exactly (the mean itself, rounded once to float32: what {@link localToConv}
 * gives); α = 0 changes nothing. The mean is summed in float64 in position order, so the result does
 * not depend on the thread count and is the same on the CPU and a GPU.
 *
 * @param weight float32 [OH, OW, K, C, KH, KW] with at least one position, updated in place
 * @param bias float32 [OH, OW, K] (or null: the weight alone), updated in place
 */
export function tieLocal(weight: Tensor, bias: Tensor | null, strength: number): void {
  checkTensors('tieLocal', { weight }, { bias });
  nativeAddon().tieLocal(weight.native, bias ? bias.native : null, strength);
}

/**
 * The soft-tying penalty λ/2 · (Σ_p ‖W_p − W̄‖² + Σ_p ‖b_p − b̄‖²): adds its gradient λ·(W_p − W̄) to
 * `dweight` and λ·(b_p − b̄) to `dbias` (accumulating into the gradients already there; the terms
 * through W̄ cancel, so this is the exact gradient), and adds the penalty's value to `stats[0]`, which
 * stays on the device so the host reads it once an epoch. λ = 0 changes nothing.
 *
 * @param weight float32 [OH, OW, K, C, KH, KW] with at least one position
 * @param bias float32 [OH, OW, K], or null together with dbias (the weight alone)
 * @param dweight weight's shape, updated in place; shares no memory with the other tensors
 * @param dbias bias's shape (or null), updated in place
 * @param lambda in [0, 3.4e38] (finite, >= 0)
 * @param stats float32 [1] on the same device, accumulated
 */
export function tiePenaltyBackward(
  weight: Tensor,
  bias: Tensor | null,
  dweight: Tensor,
  dbias: Tensor | null,
  lambda: number,
  stats: Tensor,
): void {
  checkTensors('tiePenaltyBackward', { weight, dweight, stats }, { bias, dbias });
  nativeAddon().tiePenaltyBackward(
    weight.native,
    bias ? bias.native : null,
    dweight.native,
    dbias ? dbias.native : null,
    lambda,
    stats.native,
  );
}

/**
 * out[n, …] = x[n, …] · mask[…] for every sample n: the forward pass of a fixed input mask (x·mask)
 * and its backward pass alike (dy·mask).
 *
 * @param x float32 [N, ...S]
 * @param mask float32 [...S] on x's device
 * @param out float32 of x's shape on x's device, overwritten (x itself: in place); default a new tensor
 */
export function maskInputs(x: Tensor, mask: Tensor, out?: Tensor): Tensor<'float32'> {
  checkTensors('maskInputs', { x, mask }, { out });
  return withOutputs(x, (take) => {
    const target = out ?? take(x.shape);
    nativeAddon().maskInputs(x.native, mask.native, target.native);
    return target as Tensor<'float32'>;
  });
}

/**
 * A fixed random input mask (Ott et al.'s variable connection probability): a float32 tensor of
 * `shape` holding 0 (dropped) with probability `drop` and 1 elsewhere, not rescaled. Drawn on the
 * host with Philox-4x32-10 keyed by (seed, 0) in {@link VCP_DOMAIN}: draw g gives elements 4g to
 * 4g + 3, element i dropped when (k + 1)/2^32 <= drop for its 32-bit word k (so with probability
 * floor(drop·2^32)/2^32). The same (shape, drop, seed) gives the same mask on every device.
 *
 * @param drop in [0, 1)
 * @param seed integer in [0, 2^32)
 * @param device default: the default device
 */
export function vcpMask(shape: readonly number[], drop: number, seed: number, device?: string): Tensor<'float32'> {
  if (!Array.isArray(shape)) throw new TypeError(`vcpMask: shape must be an array of sizes, got ${describe(shape)}`);
  shape.forEach((d, i) => {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new RangeError(`vcpMask: shape[${i}] must be an integer >= 0, got ${describe(d)}`);
    }
  });
  if (typeof drop !== 'number' || !(drop >= 0 && drop < 1)) {
    throw new RangeError(`vcpMask: drop must be a number in [0, 1), got ${describe(drop)}`);
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`vcpMask: seed must be an integer in [0, 2^32), got ${describe(seed)}`);
  }
  let target: string;
  try {
    target = device === undefined ? defaultDevice() : resolveDevice(device);
  } catch (error) {
    throw new Error(`vcpMask: ${(error as Error).message}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_MASK_ELEMENTS) {
    throw new RangeError(`vcpMask: shape [${shape}] has ${count} elements; a mask drawn on the host holds at most 2^31 - 1`);
  }
  const values = new Float32Array(count);
  for (let g = 0; 4 * g < count; g++) {
    const words = draw(seed, 0, VCP_DOMAIN, g);
    for (let j = 0; j < 4 && 4 * g + j < count; j++) values[4 * g + j] = uniformOpen0(words[j]) <= drop ? 0 : 1;
  }
  return Tensor.from(values, shape, { device: target });
}
