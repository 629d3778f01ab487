// Dense (fully connected) layer: y = x·wᵀ + b with x [N,I], w [O,I], b [O], y [N,O].
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { checkOptions } from '../util/options';
import { F32, checkTensors, withOutputs } from './layer_op';

/**
 * Dense layer forward: `y = x·wᵀ + b`.
 * @param x input, float32 [N, I]
 * @param w weight, float32 [O, I] (one row per output unit)
 * @param b bias, float32 [O], or null for none
 * @param out optional preallocated output [N, O] on x's device (overwritten); allocated when omitted
 * @returns y, float32 [N, O]
 */
export function dense(x: Tensor, w: Tensor, b: Tensor | null, out?: Tensor): F32 {
  checkTensors('dense', { x, w }, { b, y: out });
  return withOutputs(x, (take) => {
    const y = (out as F32 | undefined) ?? take([x.shape[0] ?? 0, w.shape[0] ?? 0]);
    nativeAddon().denseForward(x.native, w.native, b ? b.native : null, y.native);
    return y;
  });
}

/** Gradients of a dense layer; a field is null when it was not asked for. */
export interface DenseGradients {
  /** dL/dx = dy·w, [N, I] */
  dx: F32 | null;
  /** dL/dw = dyᵀ·x, [O, I] */
  dw: F32;
  /** dL/db = column sums of dy, [O] */
  db: F32 | null;
}

/** Options of {@link denseBackward}. */
export interface DenseBackwardOptions {
  /** Compute dx (default true; false for a network's first layer, whose input needs no gradient). */
  inputGradient?: boolean;
  /** Compute db (default true; false for a layer without bias). */
  biasGradient?: boolean;
  /** Preallocated dx [N, I] (overwritten); giving it turns the input gradient on. */
  dx?: Tensor;
  /** Preallocated dw [O, I] (overwritten). */
  dw?: Tensor;
  /** Preallocated db [O] (overwritten); giving it turns the bias gradient on. */
  db?: Tensor;
}

/**
 * Dense layer backward from the output gradient dy [N, O]: dx = dy·w, dw = dyᵀ·x, db = Σ_rows dy.
 * Gradients overwrite their outputs (they are not accumulated).
 * @param x the forward input [N, I]
 * @param w the weight [O, I]
 * @param dy gradient of the loss with respect to y, [N, O]
 */
export function denseBackward(x: Tensor, w: Tensor, dy: Tensor, options: DenseBackwardOptions = {}): DenseGradients {
  options = checkOptions(options, ['inputGradient', 'biasGradient', 'dx', 'dw', 'db'], 'denseBackward');
  checkTensors('denseBackward', { x, w, dy }, { dx: options.dx, dw: options.dw, db: options.db });
  const given = options as { dx?: F32; dw?: F32; db?: F32 };
  const wantDx = given.dx !== undefined || (options.inputGradient ?? true);
  const wantDb = given.db !== undefined || (options.biasGradient ?? true);
  return withOutputs(x, (take) => {
    // Shapes read only for outputs to allocate (each read is a native call).
    const inputs = () => x.shape[1] ?? 0;
    const outputs = () => w.shape[0] ?? 0;
    const dx = wantDx ? (given.dx ?? take([x.shape[0] ?? 0, inputs()])) : null;
    const dw = given.dw ?? take([outputs(), inputs()]);
    const db = wantDb ? (given.db ?? take([outputs()])) : null;
    nativeAddon().denseBackward(x.native, w.native, dy.native, dx ? dx.native : null, dw.native, db ? db.native : null);
    return { dx, dw, db };
  });
}
