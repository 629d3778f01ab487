// Run and sweep folders for the run-browser tests: TEST FIXTURES with made-up records (see
// ./records), laid out as `train` and the sweep contract (/work/notes/sweep_contract.md) lay them out.
import fs from 'fs';
import path from 'path';
import { EpochRecord, metricsCsv, metricsJsonl } from '../../src/report';
import { writeAggregate } from '../../src/sweep/aggregateWrite';
import { writeSweepFile } from '../../src/sweep/folder';
import { syntheticRecords } from './records';

/**
 * Writes a run folder: config.json, metrics.jsonl (or only metrics.csv) and checkpoints/state.json
 * (done, or not done; `state: false` leaves it out, as in a run folder copied without checkpoints).
 */
export function writeFixtureRun(
  dir: string,
  records: EpochRecord[] = syntheticRecords(6, 4),
  options: { csvOnly?: boolean; done?: boolean; state?: boolean } = {},
): string {
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  const cnnEpochs = records.filter((r) => r.phase === 'cnn' && r.model === 'cnn').length;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({
    format: 'wsr-native-run', version: 1, created: '2026-12-01T10:00:00.000Z',
    settings: { dataset: 'synthetic', noise: 0.5, cnnEpochs, fcnEpochs: 4, lr: 0.0001, seed: 1 },
    device: { name: 'cpu', kind: 'cpu', description: 'test fixture' }, experiment: null,
  }, null, 2));
  if (options.csvOnly) fs.writeFileSync(path.join(dir, 'metrics.csv'), metricsCsv(records));
  else fs.writeFileSync(path.join(dir, 'metrics.jsonl'), metricsJsonl(records));
  const last = Math.max(0, ...records.map((r) => r.epoch));
  if (options.state !== false) {
    fs.writeFileSync(path.join(dir, 'checkpoints', 'state.json'), JSON.stringify({ phase: options.done === false ? 'branch' : 'done', completedEpoch: last }));
  }
  return dir;
}

/**
 * Writes a sweep of two points (learning rates), one of them run, with an aggregate.json as
 * `aggregate` wrote it before it carried formatted tables (columns and rows of fractions only), and
 * one figure.
 */
export function writeFixtureSweep(dir: string): string {
  fs.mkdirSync(path.join(dir, 'aggregate', 'figures'), { recursive: true });
  const points = [
    { name: 'lr=0.001_seed=1', settings: { lr: 0.001 }, seed: 1 },
    { name: 'lr=0.0001_seed=1', settings: { lr: 0.0001 }, seed: 1 },
  ];
  fs.writeFileSync(path.join(dir, 'sweep.json'), JSON.stringify({
    format: 'wsr-native-sweep', version: 1, created: '2026-12-01T09:00:00.000Z', spec: { grid: { lr: [0.001, 0.0001] }, seeds: [1] }, points,
  }));
  writeFixtureRun(path.join(dir, points[0].name), syntheticRecords(3, 2));
  const rows = [
    { setting: 'lr=0.001', lr: 0.001, n: 1, missing: 0, cnn_test_accuracy_mean: 0.4812, cnn_test_accuracy_ci95: null, fcn_minus_cnn_test_accuracy_mean: 0.0089, fcn_minus_cnn_test_accuracy_ci95: null, lc1_dist_1_mean: 0.0123456, lc1_dist_1_ci95: null },
    { setting: 'lr=0.0001', lr: 0.0001, n: 0, missing: 1, cnn_test_accuracy_mean: null, cnn_test_accuracy_ci95: null, fcn_minus_cnn_test_accuracy_mean: null, fcn_minus_cnn_test_accuracy_ci95: null, lc1_dist_1_mean: null, lc1_dist_1_ci95: null },
  ];
  const pair = (key: string, label: string) => [{ key: `${key}_mean`, label: `${label} (mean)` }, { key: `${key}_ci95`, label: `${label} (± 95% CI)` }];
  fs.writeFileSync(path.join(dir, 'aggregate', 'aggregate.json'), JSON.stringify({
    format: 'wsr-native-aggregate', version: 1, created: '2026-12-01T11:00:00.000Z',
    columns: [
      { key: 'setting', label: 'setting' }, { key: 'lr', label: 'lr' }, { key: 'n', label: 'seeds finished' }, { key: 'missing', label: 'points missing or unfinished' },
      ...pair('cnn_test_accuracy', 'CNN test accuracy'), ...pair('fcn_minus_cnn_test_accuracy', 'FCN − CNN test accuracy (paired)'), ...pair('lc1_dist_1', 'lc1 final dist_1'),
    ],
    rows,
    figures: [{ name: 'test_accuracy', title: 'Test accuracy by learning rate', spec: 'figures/test_accuracy.vl.json' }],
  }));
  fs.writeFileSync(path.join(dir, 'aggregate', 'figures', 'test_accuracy.vl.json'), JSON.stringify({
    title: 'Test accuracy by learning rate',
    data: { values: [{ lr: 0.001, model: 'CNN', accuracy: 48.12 }, { lr: 0.001, model: 'FCN', accuracy: 49.01 }] },
    mark: 'bar',
    encoding: { x: { field: 'model', type: 'nominal' }, y: { field: 'accuracy', type: 'quantitative' }, column: { field: 'lr', type: 'ordinal' } },
  }));
  return dir;
}

/** What a sweep point measured, for {@link writePointRun}. */
export interface PointValues {
  cnnTest: number;
  fcnTest: number;
  /** Translation accuracy at the restored best epoch (3). */
  cnnTranslation: number;
  fcnTranslation: number;
  /** lc1's final dist_1; the other layers' are multiples of it. */
  dist1: number;
}

/**
 * A sweep point's run folder, written record by record as train writes it: config.json,
 * checkpoints/state.json, metrics.jsonl. Two CNN epochs, the conversion after epoch 2, two branch
 * epochs; the restored best epoch of both branches is 3 (robustness is read there, not at 4).
 * `layers` are the freed LC layers: lc1 (14×14) has radius 4, the others (5×5, 3×3) do not.
 * Unfinished (`done: false`): stopped in its branch after epoch 3.
 */
export function writePointRun(dir: string, v: PointValues, done = true, layers: readonly string[] = ['lc1', 'lc2']): void {
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ format: 'wsr-native-run', version: 1, settings: {}, resumes: [] }));
  const layer = (d: number, lc: string) => {
    const k = Number(lc.replace(/\D/g, '')) || 1;
    return { layer: lc, dist: { 1: d * k, 4: lc === 'lc1' ? d / 2 : null }, cos: { 1: (d * k) / 10, 4: lc === 'lc1' ? d / 20 : null }, divergence: d };
  };
  const rec = (epoch: number, model: 'cnn' | 'fcn', phase: 'cnn' | 'branch', extra: Partial<EpochRecord>): EpochRecord => ({
    epoch, model, phase, aug_type: 'none', aug: 0, vcp: 0, loss: 1, val_loss: 1, accuracy: 0.5, val_accuracy: 0.4,
    translation: 0.9, noise: 0.9, edge_noise: 0.9, rotation: 0.9, swap: 0.9, test_accuracy: null, layers: [], seconds: 1, learning_rate: 1e-4,
    ...extra,
  });
  const records = [
    rec(1, 'cnn', 'cnn', {}),
    rec(2, 'cnn', 'cnn', { test_accuracy: 0.11 }),
    rec(2, 'fcn', 'cnn', { layers: layers.map((l) => layer(0, l)) }),
    rec(3, 'cnn', 'branch', { translation: v.cnnTranslation, val_accuracy: 0.6 }),
    rec(3, 'fcn', 'branch', { translation: v.fcnTranslation, val_accuracy: 0.6, layers: layers.map((l) => layer(v.dist1 / 2, l)) }),
    rec(4, 'cnn', 'branch', { test_accuracy: v.cnnTest, val_accuracy: 0.5 }),
    rec(4, 'fcn', 'branch', { test_accuracy: v.fcnTest, val_accuracy: 0.5, layers: layers.map((l) => layer(v.dist1, l)) }),
  ];
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), metricsJsonl(done ? records : records.slice(0, 5)));
  const model = (bestEpoch: number) => ({ file: 'x.ckpt', bestFile: null, epoch: 4, epochsInPhase: 2, finished: true, testAccuracy: null, earlyStopping: { patience: 9, best: 0.6, bestEpoch, wait: 1, stopped: false } });
  const state = { format: 'wsr-native-run-state', version: 1, phase: done ? 'done' : 'branch', completedEpoch: done ? 4 : 3, conversionEpoch: 2, models: { cnn: model(3), fcn: model(3) }, updated: '' };
  fs.writeFileSync(path.join(dir, 'checkpoints', 'state.json'), JSON.stringify(state));
}

/**
 * The sweep of the run-browser issue: `--grid noise=0,0.3 --seeds 1-2`, of which only the
 * `noise=0.3` points finished (`noise=0,seed=1` stopped in its branch, `noise=0,seed=2` never
 * started), aggregated by `aggregate`'s own code. noise=0.3: CNN test 0.50, 0.52; FCN 0.51, 0.55;
 * lc1 dist_1 0.010, 0.012 (so CNN 51.00 ± 12.71%, FCN 53.00 ± 25.41%, FCN − CNN +2.00 ± 12.71 pp,
 * lc1 dist_1 0.011 ± 0.01271).
 */
export async function writePartialSweep(dir: string): Promise<string> {
  writeSweepFile(dir, { grid: { noise: [0, 0.3] }, seeds: [1, 2], train: { dataset: 'synthetic' } });
  writePointRun(path.join(dir, 'noise=0.3,seed=1'), { cnnTest: 0.5, fcnTest: 0.51, cnnTranslation: 0.3, fcnTranslation: 0.31, dist1: 0.01 });
  writePointRun(path.join(dir, 'noise=0.3,seed=2'), { cnnTest: 0.52, fcnTest: 0.55, cnnTranslation: 0.32, fcnTranslation: 0.35, dist1: 0.012 });
  writePointRun(path.join(dir, 'noise=0,seed=1'), { cnnTest: 0.4, fcnTest: 0.4, cnnTranslation: 0.3, fcnTranslation: 0.3, dist1: 0.01 }, false);
  await writeAggregate(dir, { png: false });
  return dir;
}
