// ReLU and the fused softmax + cross-entropy loss, whose statistics stay on the device.
import { nativeAddon } from '../native';
import { Tensor } from '../tensor';
import { checkOptions } from '../util/options';

/**
 * ReLU: `y = max(x, 0)` elementwise (NaN passes through).
 * @param x float32 tensor of any shape
 * @param out optional output of x's shape; may be `x` itself (in place)
 */
export function relu(x: Tensor, out?: Tensor): Tensor<'float32'> {
  const y = out ?? Tensor.empty(x.shape, { device: x.device });
  nativeAddon().reluForward(x.native, y.native);
  return y as Tensor<'float32'>;
}

/**
 * ReLU backward from the forward OUTPUT: `dx = dy` where `y > 0`, else 0 (so the gradient at
 * exactly 0 is 0).
 * @param y the forward output
 * @param dy gradient with respect to y
 * @param out optional output of y's shape; may be `dy` itself (in place), not `y`
 */
export function reluBackward(y: Tensor, dy: Tensor, out?: Tensor): Tensor<'float32'> {
  const dx = out ?? Tensor.empty(y.shape, { device: y.device });
  nativeAddon().reluBackward(y.native, dy.native, dx.native);
  return dx as Tensor<'float32'>;
}

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** float32 [2] receiving [Σ per-row loss, correct rows]; allocated (on the logits' device) when omitted. */
  stats?: Tensor;
  /** Add to stats instead of overwriting them (default false): sum a whole epoch on the device. */
  accumulate?: boolean;
  /** Compute the gradient (default true). */
  gradient?: boolean;
  /** Preallocated gradient output [N, C] (overwritten). */
  dlogits?: Tensor;
}

/** What {@link softmaxCrossEntropy} returns. */
export interface SoftmaxCrossEntropyResult {
  /** (softmax − onehot) / N: the gradient of the MEAN loss; null when not asked for. */
  dlogits: Tensor<'float32'> | null;
  /** float32 [2]: Σ per-row loss and the count of rows whose first argmax equals the label. */
  stats: Tensor<'float32'>;
}

/**
 * Fused, numerically stable softmax + cross-entropy. Per row r the loss is
 * `-log softmax(logits[r])[labels[r]]`; stats accumulate on the device so a training loop reads
 * them once an epoch ({@link readLossStats}).
 *
 * A label >= C throws on the CPU (naming the row); on CUDA it cannot be checked without a copy,
 * so it makes the loss sum NaN and that gradient row NaN instead. CUDA sums the stats with float
 * atomics: their last bits may vary between runs.
 * @param logits float32 [N, C], C >= 1
 * @param labels uint8 [N], class indices < C
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  labels: Tensor,
  options: SoftmaxCrossEntropyOptions = {},
): SoftmaxCrossEntropyResult {
  options = checkOptions(options, ['stats', 'accumulate', 'gradient', 'dlogits'], 'softmaxCrossEntropy');
  const device = logits.device;
  const stats = options.stats ?? Tensor.empty([2], { device });
  const wantGradient = options.dlogits !== undefined || (options.gradient ?? true);
  const dlogits = wantGradient ? (options.dlogits ?? Tensor.empty(logits.shape, { device })) : null;
  nativeAddon().softmaxCrossEntropy(
    logits.native,
    labels.native,
    dlogits ? dlogits.native : null,
    stats.native,
    options.accumulate ?? false,
  );
  return { dlogits: dlogits as Tensor<'float32'> | null, stats: stats as Tensor<'float32'> };
}

/** Mean loss and accuracy over the rows summed into a stats tensor. */
export interface LossStats {
  /** Mean per-row cross-entropy (NaN when rows is 0). */
  loss: number;
  /** Rows whose prediction (first argmax) equals the label. */
  correct: number;
  /** correct / rows (NaN when rows is 0). */
  accuracy: number;
}

/**
 * Reads a stats tensor filled by {@link softmaxCrossEntropy} (one device-to-host copy).
 * @param stats float32 [2]
 * @param rows how many rows were summed into it (e.g. the epoch's sample count)
 */
export function readLossStats(stats: Tensor, rows: number): LossStats {
  if (!Number.isInteger(rows) || rows < 0) throw new RangeError(`readLossStats: rows must be a non-negative integer, got ${rows}`);
  const values = stats.toArray();
  if (stats.dtype !== 'float32' || values.length !== 2) {
    throw new RangeError(`readLossStats: stats must be float32 [2], got ${stats.dtype} [${stats.shape}]`);
  }
  const correct = values[1];
  return { loss: rows > 0 ? values[0] / rows : NaN, correct, accuracy: rows > 0 ? correct / rows : NaN };
}

/**
 * Evaluates the loss of one batch without a gradient and reads it: mean loss, correct rows and
 * accuracy.
 */
export function crossEntropyLoss(logits: Tensor, labels: Tensor): LossStats {
  const { stats } = softmaxCrossEntropy(logits, labels, { gradient: false });
  try {
    return readLossStats(stats, logits.shape[0] ?? 0);
  } finally {
    stats.dispose();
  }
}
