// Low-rank local connectivity (Elsayed et al. 2020, ../shared/RESEARCH.md): a locally connected layer
// whose filter bank at each output position p mixes R basis banks, W_p = Σ_r a_p,r · B_r, with the
// combining weights a_p = softmax(logits_p) over r; each basis has its bias too, b_p = Σ_r a_p,r · bb_r,
// so the bias mixes like the weight. Rank 1 is a convolution; rank OH·OW can reach every locally
// connected layer. The layer is exactly local2d(x, W, b): the ops here materialise W and b natively
// (lowRankMix: common/lowrank_math.h), run the locally connected kernels on them (./window.ts, the one
// template of the windowed ops: same geometry, options, checks and cleanup) and project the bank
// gradients back onto the bases and logits (lowRankMixBackward).
//
// Layouts: x [N, C, H, W]; bases [R, K, C, KH, KW] (each a conv weight); basisBias [R, K]; logits
// [OH, OW, R]; the materialised weight [OH, OW, K, C, KH, KW] and bias [OH, OW, K]; y [N, K, OH, OW].
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { describeValue as describe } from '../util/describe';
import { checkOptions } from '../util/options';
import { draw } from './augment_random';
import type { WindowGeometry, WindowOptions } from './geometry';
import { F32, checkTensor, checkTensors, withOutputs } from './layer_op';
import { LOCAL2D, local2dGeometry } from './local';
import { backwardInputInto, backwardWeightInto, forwardInto } from './window';

/**
 * The Philox domain (third counter word) of the combining logits {@link convToLowRank} draws: 'lrlc' in
 * ASCII. Not used elsewhere: the augmentation kernels use 1 to 3 (RandomDomain), the training loop's own
 * draws 101 to 103 (src/train/batches.ts), weight initialisation 0x696e6974 'init' (INIT_DOMAIN), the VCP
 * masks 0x00766370 'vcp' (VCP_DOMAIN).
 */
export const LOWRANK_DOMAIN = 0x6c726c63;

/** The default half-width of the uniform draw of {@link convToLowRank}'s logits. */
export const LOWRANK_LOGIT_SCALE = 0.1;

/** A low-rank layer's parameters: R basis banks, their biases (or null: none) and the combining logits. */
export interface LowRankParameters {
  /** [R, K, C, KH, KW]. */
  bases: F32;
  /** [R, K], or null. */
  basisBias: F32 | null;
  /** [OH, OW, R]. */
  logits: F32;
}

/** The gradients of a low-rank layer: dx (unless not asked for) and those of its three parameters. */
export interface LowRankGradients {
  dx?: F32;
  dBases: F32;
  /** null when the layer has no biases. */
  dBasisBias: F32 | null;
  dLogits: F32;
}

/** Which gradients {@link lowRankLocal2dBackward} computes, and buffers to overwrite with them. */
export interface LowRankBackwardOptions {
  /** Compute dx (default true); the first layer of a network does not need it. */
  needInput?: boolean;
  /** Preallocated gradients to overwrite instead of allocating new tensors. */
  out?: { dx?: F32; dBases?: F32; dBasisBias?: F32; dLogits?: F32 };
}

function expectRank(t: Tensor, rank: number, name: string, dims: string, op: string): void {
  if (t.shape.length !== rank) throw new RangeError(`${op}: ${name} must have ${rank} dimensions (${dims}), got shape [${t.shape}]`);
}

/** Throws unless every given tensor lives on the first one's device. */
function checkSameDevice(op: string, tensors: Record<string, Tensor | null | undefined>): void {
  const present = Object.entries(tensors).filter((entry): entry is [string, Tensor] => entry[1] instanceof Tensor);
  const [firstName, first] = present[0];
  for (const [name, t] of present.slice(1)) {
    if (t.device !== first.device) throw new Error(`${op}: ${name} is on ${t.device} but ${firstName} is on ${first.device}`);
  }
}

/**
 * The window geometry of a low-rank layer over an input of `inputShape` [N, C, H, W] with `bases`
 * [R, K, C, KH, KW]; `logits` must be [OH, OW, R] for the output grid OH × OW it gives. Errors name `op`.
 */
function lowRankGeometry(x: Tensor, bases: Tensor, logits: Tensor, options: WindowOptions, op: string, input = 'x'): WindowGeometry {
  expectRank(x, 4, input, 'N,C,H,W', op);
  expectRank(bases, 5, 'bases', 'R,K,C,KH,KW', op);
  expectRank(logits, 3, 'logits', 'OH,OW,R', op);
  const [, c, h, w] = x.shape;
  const [r, , bc, kh, kw] = bases.shape;
  if (bc !== c) throw new RangeError(`${op}: bases have ${bc} input channels (dimension 2) but ${input} has ${c} channels`);
  const g = local2dGeometry(h, w, kh, kw, options, op);
  const expected = [g.outputHeight, g.outputWidth, r];
  if (logits.shape.some((d, i) => d !== expected[i])) {
    throw new RangeError(
      `${op}: logits must have shape [${expected}] (the ${g.outputHeight}x${g.outputWidth} output grid, ` +
        `and one logit per basis: bases has ${r}), got [${logits.shape}]`,
    );
  }
  return g;
}

/** The materialised weight's shape [OH, OW, K, C, KH, KW] for bases and logits of ranks 5 and 3. */
const weightShapeOf = (bases: Tensor, logits: Tensor): number[] => [logits.shape[0], logits.shape[1], ...bases.shape.slice(1)];
const biasShapeOf = (bases: Tensor, logits: Tensor): number[] => [logits.shape[0], logits.shape[1], bases.shape[1]];

/**
 * The locally connected weight and bias a low-rank layer computes with: W_p = Σ_r a_p,r·bases[r] and
 * b_p = Σ_r a_p,r·basisBias[r] at every output position p, a_p = softmax(logits_p). Computed about basis 0
 * (common/lowrank_math.h), so bases that are all one bank give that bank exactly at every position.
 *
 * @param bases [R, K, C, KH, KW]
 * @param basisBias [R, K], or null (then `bias` is null)
 * @param logits [OH, OW, R]
 * @param out buffers to overwrite: weight [OH, OW, K, C, KH, KW], bias [OH, OW, K]
 * @returns new tensors on bases' device, or the buffers given in `out`
 */
export function lowRankMaterialize(
  bases: Tensor,
  basisBias: Tensor | null,
  logits: Tensor,
  out: { weight?: Tensor; bias?: Tensor } = {},
): { weight: F32; bias: F32 | null } {
  const op = 'lowRankMaterialize';
  const given = checkOptions(out, ['weight', 'bias'], `${op}: out`);
  checkTensors(op, { bases, logits }, { basisBias, weight: given.weight, bias: given.bias });
  expectRank(bases, 5, 'bases', 'R,K,C,KH,KW', op);
  expectRank(logits, 3, 'logits', 'OH,OW,R', op);
  return withOutputs(bases, (take) => {
    const weight = (given.weight as F32 | undefined) ?? take(weightShapeOf(bases, logits));
    const bias = ((basisBias ? given.bias ?? take(biasShapeOf(bases, logits)) : given.bias) ?? null) as F32 | null;
    nativeAddon().lowRankMix(bases.native, basisBias ? basisBias.native : null, logits.native, weight.native, bias ? bias.native : null);
    return { weight, bias };
  });
}

/**
 * The gradients of a loss with respect to a low-rank layer's parameters, given its gradients `dweight`
 * [OH, OW, K, C, KH, KW] and `dbias` [OH, OW, K] with respect to the materialised weight and bias:
 * dBases_r = Σ_p a_p,r·dW_p (dBasisBias likewise with db), and dLogits through the softmax's Jacobian,
 * a_p,r·(dA_p,r − Σ_s a_p,s·dA_p,s) with dA_p,r = ⟨dW_p, B_r⟩ + ⟨db_p, bb_r⟩.
 *
 * @param dbias null exactly when basisBias is (then dBasisBias is null)
 * @param out buffers to overwrite instead of allocating new tensors
 */
export function lowRankMaterializeBackward(
  bases: Tensor,
  basisBias: Tensor | null,
  logits: Tensor,
  dweight: Tensor,
  dbias: Tensor | null,
  out: { dBases?: Tensor; dBasisBias?: Tensor; dLogits?: Tensor } = {},
): { dBases: F32; dBasisBias: F32 | null; dLogits: F32 } {
  const op = 'lowRankMaterializeBackward';
  const given = checkOptions(out, ['dBases', 'dBasisBias', 'dLogits'], `${op}: out`);
  checkTensors(op, { bases, logits, dweight }, { basisBias, dbias, ...given });
  return withOutputs(bases, (take) => {
    const dBases = (given.dBases as F32 | undefined) ?? take(bases.shape);
    const dBasisBias = ((basisBias ? given.dBasisBias ?? take(basisBias.shape) : given.dBasisBias) ?? null) as F32 | null;
    const dLogits = (given.dLogits as F32 | undefined) ?? take(logits.shape);
    nativeAddon().lowRankMixBackward(
      bases.native,
      basisBias ? basisBias.native : null,
      logits.native,
      dweight.native,
      dbias ? dbias.native : null,
      dBases.native,
      dBasisBias ? dBasisBias.native : null,
      dLogits.native,
    );
    return { dBases, dBasisBias, dLogits };
  });
}

/**
 * A low-rank locally connected layer (Elsayed et al. 2020): the locally connected layer whose bank and
 * bias at output position p are Σ_r a_p,r·bases[r] and Σ_r a_p,r·basisBias[r], a_p = softmax(logits_p).
 * Stride and padding as for every windowed op ({@link WindowOptions}).
 *
 * @param x input [N, C, H, W]
 * @param bases [R, K, C, KH, KW]
 * @param basisBias [R, K], or null for no bias
 * @param logits [OH, OW, R]; OH × OW must be the output size the input, kernel, stride and padding give
 * @param out optional preallocated output [N, K, OH, OW] to overwrite
 * @returns y [N, K, OH, OW] on the input's device
 */
export function lowRankLocal2d(
  x: Tensor,
  bases: Tensor,
  basisBias: Tensor | null,
  logits: Tensor,
  options: WindowOptions = {},
  out?: Tensor,
): F32 {
  const op = 'lowRankLocal2d';
  checkTensors(op, { x, bases, logits }, { basisBias, y: out });
  checkSameDevice(op, { x, bases, basisBias, logits, y: out });
  const g = lowRankGeometry(x, bases, logits, options, op);
  const { weight, bias } = lowRankMaterialize(bases, basisBias ?? null, logits);
  try {
    return withOutputs(x, (take) => {
      const y = (out as F32 | undefined) ?? take([x.shape[0], bases.shape[1], g.outputHeight, g.outputWidth]);
      return forwardInto(LOCAL2D, x, weight, bias, y, g);
    });
  } finally {
    weight.dispose();
    bias?.dispose();
  }
}

/**
 * Gradients of a low-rank layer given `dy` = ∂loss/∂y [N, K, OH, OW]: dx (unless `needInput` is false)
 * and the gradients of bases, basisBias (null when it is) and logits. The materialised bank's gradients
 * come from the locally connected kernels and are projected back (see {@link lowRankMaterializeBackward}).
 *
 * @returns new tensors on x's device, or the buffers given in `out` (overwritten)
 */
export function lowRankLocal2dBackward(
  x: Tensor,
  bases: Tensor,
  basisBias: Tensor | null,
  logits: Tensor,
  dy: Tensor,
  options: WindowOptions = {},
  backwardOptions: LowRankBackwardOptions = {},
): LowRankGradients {
  const op = 'lowRankLocal2dBackward';
  const { needInput = true, out: given } = checkOptions(backwardOptions, ['needInput', 'out'], op);
  const out = checkOptions(given, ['dx', 'dBases', 'dBasisBias', 'dLogits'], `${op}: out`);
  checkTensors(op, { x, bases, logits, dy }, { basisBias, ...out });
  checkSameDevice(op, { x, bases, basisBias, logits, dy, ...out });
  const g = lowRankGeometry(x, bases, logits, options, op);
  const yShape = [x.shape[0], bases.shape[1], g.outputHeight, g.outputWidth];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== yShape[i])) {
    throw new RangeError(`${op}: dy must have shape [${yShape}] (N,K,OH,OW), got [${dy.shape}]`);
  }
  const temporaries: Tensor[] = [];
  const scratch = (shape: number[]): F32 => {
    const t = Tensor.empty(shape, { device: x.device }) as F32;
    temporaries.push(t);
    return t;
  };
  try {
    const dweight = scratch(weightShapeOf(bases, logits));
    const dbias = basisBias ? scratch(biasShapeOf(bases, logits)) : null;
    backwardWeightInto(LOCAL2D, x, dy, dweight, dbias, g);
    return withOutputs(x, (take) => {
      let dx: F32 | undefined;
      if (needInput) {
        const { weight } = lowRankMaterialize(bases, null, logits, { weight: scratch(weightShapeOf(bases, logits)) });
        dx = backwardInputInto(LOCAL2D, dy, weight, out.dx ?? take(x.shape), g);
      }
      const params = lowRankMaterializeBackward(bases, basisBias ?? null, logits, dweight, dbias, {
        dBases: out.dBases ?? take(bases.shape),
        dBasisBias: basisBias ? out.dBasisBias ?? take(basisBias.shape) : out.dBasisBias,
        dLogits: out.dLogits ?? take(logits.shape),
      });
      return dx ? { dx, ...params } : params;
    });
  } finally {
    temporaries.forEach((t) => t.dispose());
  }
}

/**
 * The conversion of a convolution into a low-rank layer of rank `rank`: every basis a copy of the conv
 * kernel and every basis bias a copy of its bias, so the layer computes exactly what the convolution did
 * whatever its logits (lowRankMaterialize gives the kernel bit for bit at every position, as convToLocal
 * does, but for a −0 that comes out as +0). The logits are drawn at random, so that the bases receive
 * different gradients: uniform in (−scale, scale), element i from Philox-4x32-10 keyed by (seed, 0) in
 * {@link LOWRANK_DOMAIN}, draw floor(i / 4), its word k = i mod 4 mapped to scale·(2·(k + 0.5)/2^32 − 1)
 * and rounded to float32. The same arguments give the same logits on every device.
 *
 * @param convW conv weight [K, C, KH, KW]
 * @param convB conv bias [K], or null (then basisBias is null)
 * @param outputHeight OH, the conv layer's output height (see local2dGeometry)
 * @param outputWidth OW
 * @param rank R >= 1, the number of bases
 * @param seed integer in [0, 2^32)
 * @param scale half-width of the logits' uniform draw, finite and >= 0 (default {@link LOWRANK_LOGIT_SCALE})
 * @returns bases [R, K, C, KH, KW], basisBias [R, K] and logits [OH, OW, R] on convW's device
 */
export function convToLowRank(
  convW: Tensor,
  convB: Tensor | null,
  outputHeight: number,
  outputWidth: number,
  rank: number,
  seed: number,
  scale = LOWRANK_LOGIT_SCALE,
): LowRankParameters {
  const op = 'convToLowRank';
  checkTensor(convW, 'convW', op);
  if (convB !== null && convB !== undefined) checkTensor(convB, 'convB', op);
  expectRank(convW, 4, 'convW', 'K,C,KH,KW', op);
  for (const [name, value] of [['outputHeight', outputHeight], ['outputWidth', outputWidth], ['rank', rank]] as const) {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
      throw new RangeError(`${op}: ${name} must be an integer in [1, 2^31-1], got ${describe(value)}`);
    }
  }
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`${op}: seed must be an integer in [0, 2^32), got ${describe(seed)}`);
  }
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale < 0) {
    throw new RangeError(`${op}: scale must be a finite number >= 0, got ${describe(scale)}`);
  }
  const count = outputHeight * outputWidth * rank;
  if (count > 2 ** 31 - 1) {
    throw new RangeError(`${op}: ${outputHeight}x${outputWidth} positions x rank ${rank} = ${count} logits; at most 2^31 - 1`);
  }
  const values = new Float32Array(count);
  for (let group = 0; 4 * group < count; group++) {
    const words = draw(seed, 0, LOWRANK_DOMAIN, group);
    for (let j = 0; j < 4 && 4 * group + j < count; j++) values[4 * group + j] = scale * (2 * ((words[j] + 0.5) / 4294967296) - 1);
  }
  const k = convW.shape[0];
  return withOutputs(convW, (take) => {
    const bases = take([rank, ...convW.shape]);
    const basisBias = convB ? take([rank, k]) : null;
    const logits = take([outputHeight, outputWidth, rank]);
    logits.write(values);
    // Every basis a copy: convToLocal's tiling, with the bases as a [R, 1] grid of positions.
    const views = [bases.reshape([rank, 1, ...convW.shape]), basisBias?.reshape([rank, 1, k])];
    try {
      nativeAddon().convToLocal(convW.native, convB ? convB.native : null, views[0]!.native, views[1] ? views[1].native : null);
    } finally {
      views.forEach((v) => v?.dispose());
    }
    return { bases, basisBias, logits };
  });
}
