// The conversion: the CNN's weight sharing freed (every convolution, or those --free names) into
// its locally connected twin, and the check that the twin computes what the CNN computes: both run
// over the whole validation set and their logits are compared (once, outside training, so the
// logits are read back to the host). With VCP the masks then change the function by design: the
// check is of the unmasked twin, and the log says what the masks cost.
import { Sequential } from '../nn/model';
import type { LayerDivergence } from '../report';
import { DeviceSplit } from './batches';
import { Evaluator, layerDivergences } from './evaluate';
import { SharingSettings, fcnOptions } from './sharing';

/** How closely the converted FCN reproduced the CNN, and its divergence right after conversion. */
export interface ConversionCheck {
  /** The epoch the CNN was converted at. */
  epoch: number;
  /** Validation images compared. */
  images: number;
  /** max |logit_FCN − logit_CNN| over every image and class. */
  maxAbsDiff: number;
  /** max over images of max_k |Δlogit_k| / max_k |logit_CNN,k|: the difference relative to the image's largest logit. */
  maxRelDiff: number;
  /** Images whose predicted class (first argmax) differs. */
  predictionMismatches: number;
  /** Of these, images whose CNN top-two margin exceeds 2·maxAbsDiff (a real disagreement, not a rounding tie). */
  mismatchesBeyondRounding: number;
  /** True when every prediction is equal. */
  predictionsEqual: boolean;
  /** The FCN's divergence measures right after conversion (all 0 when the copies are exact). */
  layers: LayerDivergence[];
}

/** Tolerance of maxRelDiff above which the conversion is declared broken. */
export const CONVERSION_REL_TOLERANCE = 1e-3;

function argmaxAndMargin(row: Float32Array): { index: number; margin: number } {
  let best = 0;
  for (let k = 1; k < row.length; k++) if (row[k] > row[best]) best = k;
  let second = -Infinity;
  for (let k = 0; k < row.length; k++) if (k !== best && row[k] > second) second = row[k];
  return { index: best, margin: row[best] - second };
}

/**
 * Compares `cnn` and `fcn` over `split` (in inference mode). Throws when the FCN clearly does not
 * reproduce the CNN (maxRelDiff above {@link CONVERSION_REL_TOLERANCE}, or a prediction that
 * differs beyond a rounding tie); otherwise returns the numbers for the log and config.json.
 */
export function checkConversion(
  cnn: Sequential,
  fcn: Sequential,
  split: DeviceSplit,
  batchSize: number,
  epoch: number,
  layers: LayerDivergence[],
): ConversionCheck {
  let maxAbsDiff = 0;
  let maxRelDiff = 0;
  const cnnPredictions: { index: number; margin: number }[] = [];
  const fcnPredictions: number[] = [];
  for (let offset = 0; offset < split.count; offset += batchSize) {
    const n = Math.min(batchSize, split.count - offset);
    const b = split.gather(split.identity, offset, n);
    const a = cnn.forward(b.x, false).toArray() as Float32Array;
    const f = fcn.forward(b.x, false).toArray() as Float32Array;
    const classes = a.length / n;
    for (let i = 0; i < n; i++) {
      const rowA = a.subarray(i * classes, (i + 1) * classes);
      const rowF = f.subarray(i * classes, (i + 1) * classes);
      let rowAbs = 0;
      let scale = 0;
      for (let k = 0; k < classes; k++) {
        const d = Math.abs(rowF[k] - rowA[k]);
        if (!(d <= rowAbs)) rowAbs = d; // NaN propagates
        scale = Math.max(scale, Math.abs(rowA[k]));
      }
      if (!(rowAbs <= maxAbsDiff)) maxAbsDiff = rowAbs;
      const rel = scale > 0 ? rowAbs / scale : rowAbs;
      if (!(rel <= maxRelDiff)) maxRelDiff = rel;
      cnnPredictions.push(argmaxAndMargin(rowA));
      fcnPredictions.push(argmaxAndMargin(rowF).index);
    }
  }
  let predictionMismatches = 0;
  let mismatchesBeyondRounding = 0;
  cnnPredictions.forEach((p, i) => {
    if (p.index === fcnPredictions[i]) return;
    predictionMismatches++;
    if (p.margin > 2 * maxAbsDiff) mismatchesBeyondRounding++;
  });
  const check: ConversionCheck = {
    epoch,
    images: split.count,
    maxAbsDiff,
    maxRelDiff,
    predictionMismatches,
    mismatchesBeyondRounding,
    predictionsEqual: predictionMismatches === 0,
    layers,
  };
  if (!(maxRelDiff <= CONVERSION_REL_TOLERANCE) || mismatchesBeyondRounding > 0) {
    throw new Error(
      `the converted FCN does not reproduce the CNN: max |Δlogit| ${maxAbsDiff}, max relative difference ${maxRelDiff} ` +
        `(tolerance ${CONVERSION_REL_TOLERANCE}), ${predictionMismatches} of ${split.count} predictions differ`,
    );
  }
  return check;
}

/** The check in one line, for the log. */
export function describeConversion(c: ConversionCheck): string {
  const first = c.layers[0];
  const dist = first
    ? `; ${first.layer} right after conversion: dist_1 ${first.dist[1]}, dist_4 ${first.dist[4]}, cos_1 ${first.cos[1]}, ` +
      `cos_4 ${first.cos[4]}, divergence ${first.divergence}`
    : '';
  return (
    `conversion at epoch ${c.epoch}: the FCN reproduces the CNN on ${c.images} validation images: ` +
    `max |Δlogit| ${c.maxAbsDiff.toExponential(2)}, max relative difference ${c.maxRelDiff.toExponential(2)}, ` +
    `${c.predictionsEqual ? 'all predictions equal' : `${c.predictionMismatches} prediction(s) differ within rounding`}${dist}`
  );
}

/**
 * Frees `cnn`'s weight sharing as `settings` ask, checks the unmasked twin against the CNN over
 * `split`, and returns the FCN (masked when VCP is on), the check, and the lines for the log.
 */
export async function freeWeightSharing(
  cnn: Sequential,
  settings: SharingSettings & { seed: number; batchSize: number },
  split: DeviceSplit,
  validation: Evaluator,
  epoch: number,
): Promise<{ fcn: Sequential; check: ConversionCheck; lines: string[] }> {
  const { mask, ...unmaskedOptions } = fcnOptions(settings, cnn.spec);
  const unmasked = cnn.toLocal(unmaskedOptions);
  let fcn = unmasked;
  try {
    const check = checkConversion(cnn, unmasked, split, settings.batchSize, epoch, layerDivergences(unmasked));
    const lines = [describeConversion(check)];
    if (mask) {
      const before = (await validation.evaluate(unmasked, false)).accuracy;
      fcn = cnn.toLocal({ ...unmaskedOptions, mask });
      const after = (await validation.evaluate(fcn, false)).accuracy;
      const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
      lines.push(`VCP masks (p ${settings.vcp}) before each freed layer: validation accuracy ${pct(before)} unmasked, ${pct(after)} masked at conversion`);
      unmasked.dispose();
    }
    return { fcn, check, lines };
  } catch (error) {
    if (fcn !== unmasked) fcn.dispose();
    unmasked.dispose();
    throw error;
  }
}
