// Run and sweep folders for the run-browser tests: TEST FIXTURES with made-up records (see
// ./records), laid out as `train` and the sweep contract (/work/notes/sweep_contract.md) lay them out.
import fs from 'fs';
import path from 'path';
import { EpochRecord, metricsCsv, metricsJsonl } from '../../src/report';
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

/** Writes a sweep of two points (learning rates), one of them run, with its aggregate table and one figure. */
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
    { point: points[0].name, lr: 0.001, test_cnn: 0.4812, test_fcn: 0.4901 },
    { point: points[1].name, lr: 0.0001, test_cnn: null, test_fcn: null },
  ];
  fs.writeFileSync(path.join(dir, 'aggregate', 'aggregate.json'), JSON.stringify({
    format: 'wsr-native-aggregate', version: 1, created: '2026-12-01T11:00:00.000Z',
    columns: [{ key: 'point', label: 'point' }, { key: 'lr', label: 'learning rate' }, { key: 'test_cnn', label: 'CNN test accuracy' }, { key: 'test_fcn', label: 'FCN test accuracy' }],
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
