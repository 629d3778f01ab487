// The one template of the windowed ops. A convolution and a locally connected layer are the same
// op over the same window geometry with different weight layouts (one filter bank shared by every
// output position, or one per position); a WindowFamily says which, and everything else — argument
// checks, the geometry, output allocation, the native calls and cleanup on error — is written here.
//
// Layouts: input x [N, C, H, W], output y [N, K, OH, OW]; the family gives the weight and bias.
import type { NativeModule, NativeTensor, NativeWindowArgs } from '../native';
import { Tensor } from '../tensor';
import { checkOptions } from '../util/options';
import { WindowGeometry, WindowOptions } from './geometry';
import { F32, checkTensors, withOutputs } from './layer_op';

/**
 * A family's three native exports, which its module binds by their real names (conv2dForward, ...).
 * Every family's passes take the arguments of conv2d's.
 */
export interface WindowExports {
  forward: NativeModule['conv2dForward'];
  backwardInput: NativeModule['conv2dBackwardInput'];
  backwardWeight: NativeModule['conv2dBackwardWeight'];
}

/** What tells one windowed layer family from another. */
export interface WindowFamily {
  /** Its forward op, as errors name it ('conv2d'); its gradients are `${op}Backward`. */
  readonly op: string;
  /** Its native exports; they check the resolved geometry against the tensors before any kernel runs. */
  readonly exports: WindowExports;
  /**
   * The geometry of the layer over an input of `inputShape` with a weight of `weightShape`, with
   * errors naming `op` and the tensors as `names` does, when the shapes or options do not fit.
   */
  geometry(
    inputShape: number[],
    weightShape: number[],
    options: WindowOptions,
    op: string,
    names: { input: string; weight: string },
  ): WindowGeometry;
  /** The number of filters K of a weight. */
  filters(weightShape: readonly number[]): number;
  /** The bias shape that goes with a weight. */
  biasShape(weightShape: readonly number[]): number[];
}

/** Which gradients a backward pass computes, and buffers to overwrite with them. */
export interface WindowBackwardOptions {
  /** Compute dx (default true); the first layer of a network does not need it. */
  needInput?: boolean;
  /** Preallocated gradients to overwrite instead of allocating new tensors. */
  out?: { dx?: F32; dw?: F32; db?: F32 };
}

/** The gradients of a windowed layer: dx (unless not asked for), dw and db, shaped as x, w and b. */
export interface WindowGradients {
  dx?: F32;
  dw: F32;
  db: F32;
}

/** `g` as the native exports take it: the explicit geometry, nothing left to resolve. */
function nativeWindowArgs(g: WindowGeometry): NativeWindowArgs {
  return [g.stride[0], g.stride[1], g.padding.top, g.padding.bottom, g.padding.left, g.padding.right];
}

const nativeOf = (t: Tensor | null | undefined): NativeTensor | null => (t ? t.native : null);

// ---- the passes with a resolved geometry (the layers call these) --------------------------------

/** Writes the layer's output for x into y (overwritten); b may be null. */
export function forwardInto(f: WindowFamily, x: Tensor, w: Tensor, b: Tensor | null, y: F32, g: WindowGeometry): F32 {
  f.exports.forward(x.native, w.native, nativeOf(b), y.native, ...nativeWindowArgs(g));
  return y;
}

/** Writes dL/dx into dx (the input's shape, overwritten) given dL/dy. */
export function backwardInputInto(f: WindowFamily, dy: Tensor, w: Tensor, dx: F32, g: WindowGeometry): F32 {
  f.exports.backwardInput(dy.native, w.native, dx.native, ...nativeWindowArgs(g));
  return dx;
}

/** Writes dL/dw into dw and, when db is given, dL/db into db (overwritten, not accumulated). */
export function backwardWeightInto(
  f: WindowFamily,
  x: Tensor,
  dy: Tensor,
  dw: F32,
  db: F32 | null,
  g: WindowGeometry,
): { dw: F32; db: F32 | null } {
  f.exports.backwardWeight(x.native, dy.native, dw.native, nativeOf(db), ...nativeWindowArgs(g));
  return { dw, db };
}

// ---- the public ops: geometry from options, resolved once per call -------------------------------

/** y [N, K, OH, OW] = layer(x) + b, into `out` when given, else a new tensor on x's device. */
export function forward(f: WindowFamily, x: Tensor, w: Tensor, b: Tensor | null, options: WindowOptions, out?: Tensor): F32 {
  checkTensors(f.op, { x, w }, { b, y: out });
  const g = f.geometry(x.shape, w.shape, options, f.op, { input: 'x', weight: 'w' });
  return withOutputs(x, (take) => {
    const y = (out as F32 | undefined) ?? take([x.shape[0], f.filters(w.shape), g.outputHeight, g.outputWidth]);
    return forwardInto(f, x, w, b ?? null, y, g);
  });
}

/** The input gradient into `dx` (its shape gives the input size). */
export function backwardInput(f: WindowFamily, dy: Tensor, w: Tensor, dx: Tensor, options: WindowOptions): F32 {
  const op = `${f.op}Backward`;
  checkTensors(op, { dy, w, dx });
  return backwardInputInto(f, dy, w, dx as F32, f.geometry(dx.shape, w.shape, options, op, { input: 'dx', weight: 'w' }));
}

/** The weight and bias gradients into `dw` and `db` (db may be null: no bias gradient). */
export function backwardWeight(
  f: WindowFamily,
  x: Tensor,
  dy: Tensor,
  dw: Tensor,
  db: Tensor | null,
  options: WindowOptions,
): { dw: F32; db: F32 | null } {
  const op = `${f.op}Backward`;
  checkTensors(op, { x, dy, dw }, { db });
  const g = f.geometry(x.shape, dw.shape, options, op, { input: 'x', weight: 'dw' });
  return backwardWeightInto(f, x, dy, dw as F32, (db ?? null) as F32 | null, g);
}

/** dw and db always, dx unless `needInput` is false; new tensors (on x's device) unless given in `out`. */
export function backward(
  f: WindowFamily,
  x: Tensor,
  w: Tensor,
  dy: Tensor,
  options: WindowOptions,
  backwardOptions: WindowBackwardOptions = {},
): WindowGradients {
  const op = `${f.op}Backward`;
  const { needInput = true, out: given } = checkOptions(backwardOptions, ['needInput', 'out'], op);
  const out = checkOptions(given, ['dx', 'dw', 'db'], `${op}: out`);
  checkTensors(op, { x, w, dy }, out);
  const g = f.geometry(x.shape, w.shape, options, op, { input: 'x', weight: 'w' });
  return withOutputs(x, (take) => {
    const dw = out.dw ?? take(w.shape);
    const db = out.db ?? take(f.biasShape(w.shape));
    backwardWeightInto(f, x, dy, dw, db, g);
    if (!needInput) return { dw, db };
    return { dx: backwardInputInto(f, dy, w, out.dx ?? take(x.shape), g), dw, db };
  });
}
