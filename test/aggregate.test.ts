// The sweep statistics against values worked out by hand: Student-t quantiles against the
// printed table, mean ± 95% CI over seeds, the paired FCN − CNN difference, robustness read at
// the restored best epoch (not the last), final distances of every layer, n = 1 without an
// interval, and unfinished or missing points listed rather than dropped. The run folders are
// written here record by record, as train writes them.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { cli } from './helpers/cli';
import { EpochRecord, metricsJsonl } from '../src/report';
import { renderSvg } from '../src/report/vega';
import { AggregateFile } from '../src/sweep/aggregateWrite';
import { writeSweepFile } from '../src/sweep/folder';
import { estimate, pairedDifference, tQuantile } from '../src/sweep/stats';

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-aggregate-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('statistics', () => {
  test("Student's t quantiles match the printed table", () => {
    // Two-sided 95% critical values, from any table of the t distribution.
    const table: [number, number][] = [[1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [9, 2.262], [29, 2.045], [120, 1.98]];
    for (const [dof, t] of table) expect(tQuantile(0.975, dof)).toBeCloseTo(t, 3);
    expect(tQuantile(0.5, 7)).toBeCloseTo(0, 12);
    expect(tQuantile(0.025, 4)).toBeCloseTo(-2.776, 3);
    expect(() => tQuantile(1, 3)).toThrow(/p must be in \(0, 1\)/);
    expect(() => tQuantile(0.9, 0)).toThrow(/degrees of freedom must be a whole number >= 1/);
  });

  test('mean ± t·s/√n, by hand', () => {
    // 0.50, 0.52, 0.47: mean 1.49/3; squared deviations 0.0033…², 0.0233…², 0.0266…² sum to 0.0012667.
    const e = estimate([0.5, 0.52, 0.47]);
    const sd = Math.sqrt(0.00126666666667 / 2);
    expect(e.n).toBe(3);
    expect(e.mean).toBeCloseTo(0.496666667, 9);
    expect(e.sd).toBeCloseTo(sd, 9);
    expect(e.ci).toBeCloseTo((4.30265273 * sd) / Math.sqrt(3), 7); // 0.0625161
    expect(e.low).toBeCloseTo(0.496666667 - 0.0625161, 6);
    expect(estimate([0.4])).toEqual({ n: 1, mean: 0.4, sd: null, ci: null, low: null, high: null });
    expect(estimate([NaN, null])).toEqual({ n: 0, mean: null, sd: null, ci: null, low: null, high: null });
  });

  test('the paired difference is over seeds with both values', () => {
    // FCN − CNN per seed: 0.01, 0.03, 0.00 (the seed with a missing FCN value is left out).
    const d = pairedDifference([[0.5, 0.51], [0.52, 0.55], [0.47, 0.47], [0.6, null]]);
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(0.0133333333, 9);
    // squared deviations: 0.00333², 0.01667², 0.01333² → 0.000466667; s = √(0.000466667 / 2) = 0.0152753
    expect(d.sd).toBeCloseTo(0.0152752523, 9);
    expect(d.ci).toBeCloseTo((4.30265273 * 0.0152752523) / Math.sqrt(3), 7); // 0.0379458
  });
});

/** One point's run folder, written as train writes it: config.json, checkpoints/state.json, metrics.jsonl. */
function writeRun(dir: string, v: { cnnTest: number; fcnTest: number; cnnTranslation: number; fcnTranslation: number; dist1: number }, done = true): void {
  fs.mkdirSync(path.join(dir, 'checkpoints'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ format: 'wsr-native-run', version: 1, settings: {}, resumes: [] }));
  const layer = (d: number, lc = 'lc1') => ({ layer: lc, dist: { 1: d, 4: lc === 'lc1' ? d / 2 : null }, cos: { 1: d / 10, 4: lc === 'lc1' ? d / 20 : null }, divergence: d });
  const rec = (epoch: number, model: 'cnn' | 'fcn', phase: 'cnn' | 'branch', extra: Partial<EpochRecord>): EpochRecord => ({
    epoch, model, phase, aug_type: 'none', aug: 0, vcp: 0, loss: 1, val_loss: 1, accuracy: 0.5, val_accuracy: 0.4,
    translation: 0.9, noise: 0.9, edge_noise: 0.9, rotation: 0.9, swap: 0.9, test_accuracy: null, layers: [], seconds: 1, learning_rate: 1e-4,
    ...extra,
  });
  const records = [
    rec(1, 'cnn', 'cnn', {}),
    rec(2, 'cnn', 'cnn', { test_accuracy: 0.11 }),
    rec(2, 'fcn', 'cnn', { layers: [layer(0), layer(0, 'lc2')] }),
    // The restored best epoch of both branches is 3: robustness is read there, not at epoch 4.
    rec(3, 'cnn', 'branch', { translation: v.cnnTranslation, val_accuracy: 0.6 }),
    rec(3, 'fcn', 'branch', { translation: v.fcnTranslation, val_accuracy: 0.6, layers: [layer(v.dist1 / 2), layer(v.dist1, 'lc2')] }),
    rec(4, 'cnn', 'branch', { test_accuracy: v.cnnTest, val_accuracy: 0.5 }),
    rec(4, 'fcn', 'branch', { test_accuracy: v.fcnTest, val_accuracy: 0.5, layers: [layer(v.dist1), layer(2 * v.dist1, 'lc2')] }),
  ];
  fs.writeFileSync(path.join(dir, 'metrics.jsonl'), metricsJsonl(done ? records : records.slice(0, 5)));
  const model = (bestEpoch: number) => ({ file: 'x.ckpt', bestFile: null, epoch: 4, epochsInPhase: 2, finished: true, testAccuracy: null, earlyStopping: { patience: 9, best: 0.6, bestEpoch, wait: 1, stopped: false } });
  const state = { format: 'wsr-native-run-state', version: 1, phase: done ? 'done' : 'branch', completedEpoch: done ? 4 : 3, conversionEpoch: 2, models: { cnn: model(3), fcn: model(3) }, updated: '' };
  fs.writeFileSync(path.join(dir, 'checkpoints', 'state.json'), JSON.stringify(state));
}

describe('aggregate over a sweep folder', () => {
  let sweep: string;
  let file: AggregateFile;
  let stdout: string;

  beforeAll(async () => {
    sweep = path.join(tmp, 'sweep');
    writeSweepFile(sweep, { grid: { noise: [0, 0.5] }, seeds: [1, 2, 3], train: { dataset: 'synthetic' } });
    const runs: [string, Parameters<typeof writeRun>[1]][] = [
      ['noise=0,seed=1', { cnnTest: 0.5, fcnTest: 0.51, cnnTranslation: 0.3, fcnTranslation: 0.31, dist1: 0.01 }],
      ['noise=0,seed=2', { cnnTest: 0.52, fcnTest: 0.55, cnnTranslation: 0.32, fcnTranslation: 0.35, dist1: 0.012 }],
      ['noise=0,seed=3', { cnnTest: 0.47, fcnTest: 0.47, cnnTranslation: 0.34, fcnTranslation: 0.34, dist1: 0.014 }],
      ['noise=0.5,seed=1', { cnnTest: 0.4, fcnTest: 0.42, cnnTranslation: 0.2, fcnTranslation: 0.25, dist1: 0.02 }],
    ];
    for (const [name, v] of runs) writeRun(path.join(sweep, name), v);
    writeRun(path.join(sweep, 'noise=0.5,seed=2'), runs[3][1], false); // stopped in its branch; seed 3 never started
    const r = await cli('aggregate', sweep, '--no-png');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    stdout = r.stdout;
    file = JSON.parse(fs.readFileSync(path.join(sweep, 'aggregate', 'aggregate.json'), 'utf8')) as AggregateFile;
  }, 60_000);

  test('one row per setting, with the hand-computed means, intervals and paired differences', () => {
    expect(file).toMatchObject({ format: 'wsr-native-aggregate', version: 1, confidence: 0.95 });
    expect(file.rows.map((r) => [r.setting, r.noise, r.n, r.seeds, r.missing])).toEqual([['noise=0', 0, 3, '1 2 3', 0], ['noise=0.5', 0.5, 1, '1', 2]]);
    const [a, b] = file.rows as Record<string, number | null>[];
    expect(a.cnn_test_accuracy_mean).toBeCloseTo(0.496666667, 9);
    expect(a.cnn_test_accuracy_ci95).toBeCloseTo(0.0625161, 6);
    expect(a.fcn_test_accuracy_mean).toBeCloseTo(0.51, 9);
    expect(a.fcn_minus_cnn_test_accuracy_mean).toBeCloseTo(0.0133333333, 9);
    expect(a.fcn_minus_cnn_test_accuracy_ci95).toBeCloseTo(0.0379458, 6);
    // Robustness at the restored best epoch 3: 0.30, 0.32, 0.34 → 0.32 ± 4.30265·0.02/√3 (epoch 4 says 0.9).
    expect(a.cnn_translation_mean).toBeCloseTo(0.32, 9);
    expect(a.cnn_translation_ci95).toBeCloseTo((4.30265273 * 0.02) / Math.sqrt(3), 7);
    expect(a.fcn_minus_cnn_translation_mean).toBeCloseTo(0.0133333333, 9);
    expect(a.cnn_noise_mean).toBeCloseTo(0.9, 9);
    // Final (epoch 4) distances of every layer: lc1 dist_1 0.010, 0.012, 0.014; lc2 twice that; lc2 has no radius 4.
    expect(a.lc1_dist_1_mean).toBeCloseTo(0.012, 9);
    expect(a.lc1_dist_1_ci95).toBeCloseTo((4.30265273 * 0.002) / Math.sqrt(3), 7);
    expect(a.lc1_dist_4_mean).toBeCloseTo(0.006, 9);
    expect(a.lc1_cos_4_mean).toBeCloseTo(0.0006, 9);
    expect(a.lc2_dist_1_mean).toBeCloseTo(0.024, 9);
    expect(a.lc2_dist_4_mean).toBeNull();
    // One finished seed: a mean, no interval.
    expect(b.cnn_test_accuracy_mean).toBeCloseTo(0.4, 9);
    expect(b.cnn_test_accuracy_ci95).toBeNull();
    expect(b.fcn_minus_cnn_test_accuracy_mean).toBeCloseTo(0.02, 9);
  });

  test('unfinished and missing points are listed, not dropped', () => {
    expect(file.missing).toEqual([
      { name: 'noise=0.5,seed=2', status: 'unfinished', note: 'stopped after epoch 3 (phase branch)' },
      { name: 'noise=0.5,seed=3', status: 'missing', note: 'not started' },
    ]);
    const md = fs.readFileSync(path.join(sweep, 'aggregate', 'aggregate.md'), 'utf8');
    expect(md).toMatch(/- `noise=0\.5,seed=2`: unfinished \(stopped after epoch 3 \(phase branch\)\)/);
    expect(md).toMatch(/- `noise=0\.5,seed=3`: missing \(not started\)/);
    expect(stdout).toMatch(/2 point\(s\) missing or unfinished/);
  });

  test('Markdown and CSV carry the same numbers; columns name every row key', () => {
    expect(stdout).toMatch(/\| `noise=0` \| 3\/3 \| 49\.67 ± 6\.25% \| 51\.00 ± 9\.94% \| \+1\.33 ± 3\.79 pp \|/);
    expect(stdout).toMatch(/\| `noise=0\.5` \| 1\/3 \| 40\.00% \(n=1\) \| 42\.00% \(n=1\) \| \+2\.00 pp \(n=1\) \|/);
    const md = fs.readFileSync(path.join(sweep, 'aggregate', 'aggregate.md'), 'utf8');
    expect(md).toMatch(/\| `noise=0` \| CNN \| 32\.00 ± 4\.97% \|/);
    expect(md).toMatch(/\| `noise=0` \| lc1 \| 0\.012 ± 0\.004968 \| 0\.006 ± 0\.002484 \| 0\.0012 ± 4\.968e-4 \| 6\.000e-4 ± 2\.484e-4 \|/);
    const csv = fs.readFileSync(path.join(sweep, 'aggregate', 'aggregate.csv'), 'utf8').trim().split('\n');
    expect(csv[0].split(',')).toEqual(file.columns.map((c) => c.key));
    expect(csv).toHaveLength(3);
    const cell = (row: number, key: string) => csv[row].split(',')[file.columns.findIndex((c) => c.key === key)];
    expect(Number(cell(1, 'fcn_minus_cnn_test_accuracy_ci95'))).toBeCloseTo(0.0379458, 6);
    expect(cell(2, 'cnn_test_accuracy_ci95')).toBe('');
    for (const row of file.rows) expect(Object.keys(row).sort()).toEqual(file.columns.map((c) => c.key).sort());
  });

  test('figures: Vega-Lite specs with their data inlined, rendered to SVG', async () => {
    expect(file.figures.map((f) => f.spec)).toEqual(['figures/accuracy.vl.json', 'figures/distances.vl.json']);
    const accuracy = JSON.parse(fs.readFileSync(path.join(sweep, 'aggregate', file.figures[0].spec), 'utf8'));
    const values = accuracy.data.values as { x: number; model: string; mean: number; low: number | null }[];
    expect(values.map((v) => [v.x, v.model])).toEqual([[0, 'CNN'], [0, 'FCN'], [0.5, 'CNN'], [0.5, 'FCN']]);
    expect(values[0].mean).toBeCloseTo(0.496666667, 9);
    expect(values[0].low).toBeCloseTo(0.496666667 - 0.0625161, 6);
    expect(values[2].low).toBeNull(); // n = 1: no band
    const distances = JSON.parse(fs.readFileSync(path.join(sweep, 'aggregate', file.figures[1].spec), 'utf8'));
    const curve = (distances.data.values as { setting: string; layer: string; metric: string; epoch: number; mean: number | null; n: number }[])
      .filter((d) => d.setting === 'noise=0' && d.layer === 'lc1' && d.metric === 'dist_1' && d.n > 0);
    expect(curve.map((d) => d.epoch)).toEqual([0, 1, 2]); // epochs after the conversion at epoch 2
    expect(curve.map((d) => d.mean)).toEqual([0, expect.closeTo(0.006, 9), expect.closeTo(0.012, 9)]);
    expect(fs.readFileSync(path.join(sweep, 'aggregate', 'figures', 'distances.svg'), 'utf8')).toMatch(/^<svg/);
    expect(await renderSvg(accuracy)).toMatch(/Test accuracy vs noise/);
  });

  test('a folder without sweep.json is refused with a clear message', async () => {
    const r = await cli('aggregate', tmp);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no sweep\.json \(is it a sweep folder\?/);
  });
});
