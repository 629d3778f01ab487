// Synthetic epoch records: TEST DATA made up for the report tests, not results of any run.
import type { EpochRecord, LayerDivergence } from '../../src/report';

/** A small deterministic generator (LCG) so the made-up curves are the same every run. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function layer(name: string, size: number, t: number, rnd: () => number, withMap: boolean): LayerDivergence {
  const hasR4 = size > 2 * 4;
  const l: LayerDivergence = {
    layer: name,
    dist: { 1: 0.004 * t + 0.0002 * rnd(), 2: 0.005 * t, 4: hasR4 ? 0.007 * t + 0.0002 * rnd() : null },
    cos: { 1: 0.02 * t, 2: 0.03 * t, 4: hasR4 ? 0.05 * t : null },
    divergence: 0.03 * t,
  };
  if (withMap) {
    const values: number[] = [];
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) values.push(0.03 * t * (1 + 0.5 * Math.hypot(i - size / 2, j - size / 2) / size) + 0.001 * rnd());
    l.divergenceMap = { height: size, width: size, values };
  }
  return l;
}

/**
 * Made-up records of a short run: a CNN phase of `cnnEpochs` epochs, then `branchEpochs`
 * epochs of both the continued CNN and the FCN (two LC layers, lc1 14×14 with divergence
 * maps, lc2 5×5 whose r = 4 distances are null). Test accuracy at the end of each phase.
 */
export function syntheticRecords(cnnEpochs = 12, branchEpochs = 10, seed = 7): EpochRecord[] {
  const rnd = lcg(seed);
  const records: EpochRecord[] = [];
  const base = (epoch: number, model: 'cnn' | 'fcn', phase: 'cnn' | 'branch', fit: number): EpochRecord => ({
    epoch, model, phase, aug_type: 'noise', aug: 0.5, vcp: 0,
    loss: 2.3 * Math.exp(-fit / 8) + 0.4 + 0.02 * rnd(),
    val_loss: 2.3 * Math.exp(-fit / 10) + 0.7 + 0.03 * rnd(),
    accuracy: 0.1 + 0.6 * (1 - Math.exp(-fit / 8)),
    val_accuracy: 0.1 + 0.5 * (1 - Math.exp(-fit / 10)) + 0.01 * rnd(),
    translation: 0.1 + 0.3 * (1 - Math.exp(-fit / 10)),
    noise: 0.1 + 0.4 * (1 - Math.exp(-fit / 10)),
    edge_noise: 0.1 + 0.45 * (1 - Math.exp(-fit / 10)),
    rotation: 0.1 + 0.25 * (1 - Math.exp(-fit / 10)),
    swap: 0.1 + 0.15 * (1 - Math.exp(-fit / 10)),
    test_accuracy: null, layers: [], seconds: 30 + rnd(), learning_rate: 1e-4,
  });
  for (let e = 1; e <= cnnEpochs; e++) {
    const r = base(e, 'cnn', 'cnn', e);
    if (e === cnnEpochs) r.test_accuracy = r.val_accuracy - 0.01;
    records.push(r);
  }
  for (let k = 1; k <= branchEpochs; k++) {
    const e = cnnEpochs + k;
    const cnn = base(e, 'cnn', 'branch', e);
    const fcn = base(e, 'fcn', 'branch', e + 0.5 * k);
    fcn.layers = [layer('lc1', 14, k, rnd, true), layer('lc2', 5, k, rnd, false)];
    if (k === branchEpochs) [cnn.test_accuracy, fcn.test_accuracy] = [cnn.val_accuracy - 0.01, fcn.val_accuracy - 0.02];
    records.push(cnn, fcn);
  }
  return records;
}
