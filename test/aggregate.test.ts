// The sweep statistics against values worked out by hand: Student-t quantiles against the
// printed table, mean ± 95% CI over seeds, the paired FCN − CNN difference, robustness read at
// the restored best epoch (not the last), final distances of every layer, n = 1 without an
// interval, and unfinished or missing points listed rather than dropped. The run folders are
// written here record by record, as train writes them.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { cli } from './helpers/cli';
import { PointValues, writePointRun } from './helpers/runFolders';
import { checkWellFormed } from './helpers/xml';
import { renderSvg } from '../src/report/vega';
import { AggregateFile, writeAggregate } from '../src/sweep/aggregateWrite';
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

describe('aggregate over a sweep folder', () => {
  let sweep: string;
  let file: AggregateFile;
  let stdout: string;

  beforeAll(async () => {
    sweep = path.join(tmp, 'sweep');
    writeSweepFile(sweep, { grid: { noise: [0, 0.5] }, seeds: [1, 2, 3], train: { dataset: 'synthetic' } });
    const runs: [string, PointValues][] = [
      ['noise=0,seed=1', { cnnTest: 0.5, fcnTest: 0.51, cnnTranslation: 0.3, fcnTranslation: 0.31, dist1: 0.01 }],
      ['noise=0,seed=2', { cnnTest: 0.52, fcnTest: 0.55, cnnTranslation: 0.32, fcnTranslation: 0.35, dist1: 0.012 }],
      ['noise=0,seed=3', { cnnTest: 0.47, fcnTest: 0.47, cnnTranslation: 0.34, fcnTranslation: 0.34, dist1: 0.014 }],
      ['noise=0.5,seed=1', { cnnTest: 0.4, fcnTest: 0.42, cnnTranslation: 0.2, fcnTranslation: 0.25, dist1: 0.02 }],
    ];
    for (const [name, v] of runs) writePointRun(path.join(sweep, name), v);
    writePointRun(path.join(sweep, 'noise=0.5,seed=2'), runs[3][1], false); // stopped in its branch; seed 3 never started
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
    expect(stdout).toMatch(/\| `noise=0\.5` \| 1\/3 \(1 unfinished, 1 not started\) \| 40\.00% \(n=1\) \| 42\.00% \(n=1\) \| \+2\.00 pp \(n=1\) \|/);
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
    expect(file.figures.map((f) => f.spec)).toEqual(['figures/accuracy.vl.json', 'figures/robustness.vl.json', 'figures/final_distances.vl.json', 'figures/distances.vl.json']);
    expect(file.skipped).toEqual([]);
    const accuracy = JSON.parse(fs.readFileSync(path.join(sweep, 'aggregate', file.figures[0].spec), 'utf8'));
    const values = accuracy.data.values as { x: string; series: string; mean: number; low: number | null; interval: string | null; estimate: string }[];
    expect(values.map((v) => [v.x, v.series])).toEqual([['0', 'CNN'], ['0', 'FCN'], ['0.5', 'CNN'], ['0.5', 'FCN']]);
    // Percent, the interval as the tables print it.
    expect(values[0].mean).toBeCloseTo(49.6666667, 6);
    expect(values[0].low).toBeCloseTo(49.6666667 - 6.25161, 4);
    expect(values[0].estimate).toBe('49.67 ± 6.25%');
    expect(values[0].interval).toBe('bar'); // one interval per series: an error bar, not a band
    expect(values[2]).toMatchObject({ low: null, interval: null, estimate: '40.00% (n=1)' }); // n = 1: no interval
    const distances = JSON.parse(fs.readFileSync(path.join(sweep, 'aggregate', file.figures.find((f) => f.name === 'distances')!.spec), 'utf8'));
    const curve = (distances.data.values as { setting: string; panel: string; x: number; mean: number | null }[])
      .filter((d) => d.setting === 'noise=0' && d.panel === 'lc1|dist_1');
    expect(curve.map((d) => d.x)).toEqual([0, 1, 2]); // epochs after the conversion at epoch 2
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

/** A mark of a rendered SVG: its role, its aria-label's fields, where it is drawn and its fill. */
interface Mark {
  fields: Record<string, string>;
  x: number;
  y: number;
  fill: string | null;
  /** The vertical extent of a rule (its y2). */
  height: number | null;
  text: string | null;
}

/** The marks of `role` ('point', 'rule mark', 'area mark', 'line mark', 'text mark') of a rendered SVG, in document order. */
function marks(svg: string, role: string): Mark[] {
  const out: Mark[] = [];
  const re = new RegExp(`<(path|line|text)([^>]*aria-roledescription="${role}"[^>]*)>(?:([^<]*)</text>)?`, 'g');
  for (const m of svg.matchAll(re)) {
    const attr = (name: string): string | null => new RegExp(`\\s${name}="([^"]*)"`).exec(m[2])?.[1] ?? null;
    const label = (attr('aria-label') ?? '').replace(/&amp;/g, '&');
    // 'field: value; field: value', a value possibly holding '; ' (a setting 'noise=0; free=2,3').
    const fields = Object.fromEntries(label.split(/; (?=[^;:]+: )/).map((kv) => [kv.slice(0, kv.indexOf(': ')), kv.slice(kv.indexOf(': ') + 2)]));
    const [x, y] = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(attr('transform') ?? '')?.slice(1).map(Number) ?? [NaN, NaN];
    out.push({ fields, x, y, fill: attr('fill'), height: attr('y2') === null ? null : Math.abs(Number(attr('y2'))), text: m[3] ?? null });
  }
  return out;
}

/** The axes of a rendered SVG: their description (what Vega says of the scale) and their tick labels with positions. */
function axes(svg: string, which: 'X' | 'Y'): { description: string; ticks: { text: string; at: number }[] }[] {
  const starts = [...svg.matchAll(/aria-roledescription="axis" aria-label="([^"]*)"/g)];
  return starts.filter((m) => m[1].startsWith(`${which}-axis`)).map((m) => {
    const from = svg.indexOf('role-axis-label', m.index!);
    const labels = svg.slice(from, svg.indexOf('role-axis-domain', from));
    const ticks = [...labels.matchAll(/<text[^>]*transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*>([^<]*)<\/text>/g)];
    return { description: m[1].replace(/&#39;/g, "'"), ticks: ticks.map((t) => ({ text: t[3], at: Number(which === 'X' ? t[1] : t[2]) })) };
  });
}

/** The subtitle lines and panel titles: every text of the SVG outside marks and axes. */
function texts(svg: string): string[] {
  return checkWellFormed(svg).texts;
}

describe('the aggregate figures, rendered: one grid value, a partial sweep, a full one, several keys', () => {
  /** Aggregates a sweep of `grid` × seeds whose points are finished, unfinished or missing as `state` says, and reads its SVGs. */
  async function aggregated(name: string, grid: Record<string, (string | number)[]>, seeds: number[], state: (settings: Record<string, unknown>, seed: number) => 'done' | 'unfinished' | 'missing', value: (i: number) => PointValues): Promise<{ file: AggregateFile; svg: (figure: string) => string }> {
    const dir = path.join(tmp, name);
    const sweepFile = writeSweepFile(dir, { grid, seeds, train: { dataset: 'synthetic' } });
    sweepFile.points.forEach((p, i) => {
      const s = state(p.settings, p.seed);
      if (s !== 'missing') writePointRun(path.join(dir, p.name), value(i), s === 'done', ['lc1', 'lc2', 'lc3']);
    });
    const written = await writeAggregate(dir, { png: false });
    const svg = (figure: string): string => fs.readFileSync(path.join(dir, 'aggregate', 'figures', `${figure}.svg`), 'utf8');
    return { file: written.file, svg };
  }
  const v = (cnnTest: number, fcnTest: number, dist1 = 0.01): PointValues => ({ cnnTest, fcnTest, cnnTranslation: 0.3, fcnTranslation: 0.31, dist1 });
  /** The x of the tick labelled `text` (the axis is translated by half a pixel). */
  const tickAt = (svg: string, text: string): number => axes(svg, 'X')[0].ticks.find((t) => t.text === text)!.at;
  const near = (a: number, b: number, within: number): boolean => Math.abs(a - b) <= within;

  test('one grid value: the x axis shows it, the means sit on it, each with an error bar; y runs 0–100%', async () => {
    const { file, svg } = await aggregated('one-value', { noise: [0.3] }, [1, 2], () => 'done', (i) => v([0.5, 0.52][i], [0.51, 0.55][i]));
    expect(file.figures.map((f) => f.name)).toEqual(['accuracy', 'robustness', 'final_distances', 'distances']);
    const acc = svg('accuracy');
    expect(axes(acc, 'X')[0].description).toBe("X-axis titled 'noise' for a discrete scale with 1 value: 0.3");
    expect(axes(acc, 'Y')[0].description).toBe("Y-axis titled 'test accuracy (%)' for a linear scale with values from 0 to 100");
    expect(axes(acc, 'Y')[0].ticks.map((t) => t.text)).toEqual(['0', '20', '40', '60', '80', '100']);
    const points = marks(acc, 'point');
    expect(points.map((p) => [p.fields.noise, p.fields.series, p.fields['mean ± 95% CI']])).toEqual([['0.3', 'CNN', '51.00 ± 12.71%'], ['0.3', 'FCN', '53.00 ± 25.41%']]);
    // Side by side around the value's tick, CNN left of FCN.
    const at = tickAt(acc, '0.3');
    expect(points.every((p) => near(p.x, at, 30))).toBe(true);
    expect(points[0].x).toBeLessThan(at);
    expect(points[1].x).toBeGreaterThan(at);
    // One value: error bars, not bands (a band needs two x values).
    expect(marks(acc, 'area mark')).toHaveLength(0);
    const bars = marks(acc, 'rule mark');
    expect(bars.map((b) => b.fields.series)).toEqual(['CNN', 'FCN']);
    expect(bars.map((b) => b.x)).toEqual(points.map((p) => p.x));
    expect(texts(acc)).toContain('Points: means over the finished seeds; error bars: 95% CI.');
  }, 60_000);

  test('a partial sweep: the unfinished value keeps its place on the axis, marked 0/2; intervals past 0–100% are clipped and said so', async () => {
    // noise=0: seed 1 stopped in its branch, seed 2 never started. noise=0.3: CNN 0.20 and 0.90, an
    // interval of 55 ± 445% that the axis clips to 0–100.
    const { file, svg } = await aggregated('partial', { noise: [0, 0.3] }, [1, 2], (s, seed) => (s.noise === 0.3 ? 'done' : seed === 1 ? 'unfinished' : 'missing'), (i) => v([0, 0, 0.2, 0.9][i], [0, 0, 0.51, 0.55][i]));
    expect(file.missing.map((m) => m.name)).toEqual(['noise=0,seed=1', 'noise=0,seed=2']);
    const acc = svg('accuracy');
    expect(axes(acc, 'X')[0].description).toBe("X-axis titled 'noise' for a discrete scale with 2 values: 0, 0.3");
    expect(axes(acc, 'Y')[0].description).toMatch(/linear scale with values from 0 to 100$/);
    const [zero, three] = [tickAt(acc, '0'), tickAt(acc, '0.3')];
    expect(zero).toBeLessThan(three);
    const points = marks(acc, 'point');
    expect(points.map((p) => p.fields.noise)).toEqual(['0.3', '0.3']);
    expect(points.every((p) => near(p.x, three, 30))).toBe(true);
    // The value without a finished point is labelled where it stands, and named in the caption.
    const labels = marks(acc, 'text mark');
    expect(labels.map((l) => [l.text, l.fields.setting])).toEqual([['0/2 seeds', 'noise=0']]);
    expect(near(labels[0].x, zero, 1)).toBe(true);
    expect(texts(acc)).toEqual(expect.arrayContaining(['No finished point yet: noise=0 (0/2 seeds).', 'Intervals clipped to 0–100% (the tooltip has the whole interval).']));
    // The CNN's error bar runs the plot's full height (0 to 100%), and its tooltip gives the whole interval.
    const [cnnBar, fcnBar] = marks(acc, 'rule mark');
    expect(cnnBar.fields['mean ± 95% CI']).toBe('55.00 ± 444.72% (interval clipped to 0–100% in the figure)');
    expect(cnnBar.height).toBe(240);
    expect(fcnBar.height).toBeLessThan(240);
    expect(marks(acc, 'area mark')).toHaveLength(0);
    // The tables keep the whole interval.
    expect(file.tables[0].rows.map((r) => r.cells)).toEqual([
      ['noise=0', '0/2 (1 unfinished, 1 not started)', '–', '–', '–'],
      ['noise=0.3', '2/2', '55.00 ± 444.72%', '53.00 ± 25.41%', '-2.00 ± 419.30 pp'],
    ]);
  }, 60_000);

  test('a full sweep: bands along the axis, a point per value; distance panels only for what a layer has, said once', async () => {
    const values = [v(0.5, 0.51, 0.01), v(0.52, 0.55, 0.012), v(0.4, 0.42, 0.02), v(0.44, 0.43, 0.022)];
    const { file, svg } = await aggregated('full', { noise: [0.3, 0] }, [1, 2], () => 'done', (i) => values[i]);
    const acc = svg('accuracy');
    // Numbers in order on the axis, whatever the grid's order.
    expect(axes(acc, 'X')[0].ticks.map((t) => t.text)).toEqual(['0', '0.3']);
    const points = marks(acc, 'point');
    expect(points).toHaveLength(4);
    for (const p of points) expect(near(p.x, tickAt(acc, p.fields.noise), 30)).toBe(true);
    expect(marks(acc, 'area mark').map((a) => a.fields.series)).toEqual(['CNN', 'FCN']);
    expect(marks(acc, 'rule mark')).toHaveLength(0);
    expect(marks(acc, 'line mark')).toHaveLength(2);
    expect(points.every((p) => p.fill !== '#ffffff')).toBe(true); // every seed finished: filled
    expect(texts(acc)).toContain('Points: means over the finished seeds; bands: 95% CI.');

    const distances = svg('distances');
    const panels = texts(distances).filter((t) => /^lc\d /.test(t));
    expect(panels).toEqual(['lc1 dist_1', 'lc1 cos_1', 'lc1 dist_4', 'lc1 cos_4', 'lc2 dist_1', 'lc2 cos_1', 'lc3 dist_1', 'lc3 cos_1']);
    expect(texts(distances)).toContain('lc2, lc3: no dist_4 or cos_4 panel (their outputs are too small to have neighbours four positions apart).');
    expect(texts(svg('final_distances')).filter((t) => /^lc\d /.test(t))).toEqual(panels);
    expect(file.skipped).toEqual([]);
  }, 60_000);

  test('several varied keys: accuracy and final distances against each, the other key as facets or colours', async () => {
    const { file, svg } = await aggregated('two-keys', { noise: [0, 0.3], free: ['all', '2,3'] }, [1, 2], (s, seed) => (s.free === '2,3' && s.noise === 0 && seed === 2 ? 'unfinished' : 'done'), (i) => v(0.4 + 0.01 * i, 0.41 + 0.012 * i));
    expect(file.figures.map((f) => f.name)).toEqual(['accuracy_noise', 'accuracy_free', 'robustness_noise', 'robustness_free', 'final_distances_noise', 'final_distances_free', 'distances']);
    // Against a numeric key: one facet per value of the other, bands where a facet's series has two intervals.
    const byNoise = svg('accuracy_noise');
    expect(texts(byNoise)).toEqual(expect.arrayContaining(['free=all', 'free=2,3']));
    expect(axes(byNoise, 'X').map((a) => a.description)).toEqual(Array(2).fill("X-axis titled 'noise' for a discrete scale with 2 values: 0, 0.3"));
    expect(marks(byNoise, 'area mark').map((a) => a.fields.series)).toEqual(['CNN', 'FCN']); // free=all; free=2,3 at noise=0 has one seed
    expect(marks(byNoise, 'rule mark')).toHaveLength(2);
    // The setting with one of two seeds: hollow, and labelled 1/2.
    const hollow = marks(byNoise, 'point').filter((p) => p.fill === '#ffffff');
    expect(hollow.map((p) => [p.fields.setting, p.fields['seeds finished']])).toEqual([['noise=0; free=2,3', '1/2'], ['noise=0; free=2,3', '1/2']]);
    expect(marks(byNoise, 'text mark').map((t) => t.text)).toEqual(['1/2 seeds']);
    // Against a key of names: categories in the grid's order, error bars, no line joining them.
    const byFree = svg('accuracy_free');
    expect(axes(byFree, 'X')[0].description).toBe("X-axis titled 'free' for a discrete scale with 2 values: all, 2,3");
    expect(marks(byFree, 'area mark')).toHaveLength(0);
    expect(marks(byFree, 'line mark')).toHaveLength(0);
    expect(marks(byFree, 'rule mark').length).toBeGreaterThanOrEqual(6);
    for (const a of axes(byFree, 'Y')) expect(a.description).toMatch(/from 0 to 100$/);
    // Final distances against noise, one colour per value of free.
    const finals = marks(svg('final_distances_noise'), 'point');
    expect(new Set(finals.map((p) => p.fields.series))).toEqual(new Set(['free=all', 'free=2,3']));
  }, 60_000);

  test('no finished point at all: the accuracy axes still stand, every value marked 0/N; the distance figures are skipped, saying why', async () => {
    const { file, svg } = await aggregated('nothing', { noise: [0, 0.3] }, [1, 2], (s, seed) => (seed === 1 ? 'unfinished' : 'missing'), () => v(0.5, 0.5));
    expect(file.figures.map((f) => f.name)).toEqual(['accuracy', 'robustness']);
    expect(file.skipped).toEqual([{ name: 'final_distances', reason: 'no point has finished yet' }, { name: 'distances', reason: 'no point has finished yet' }]);
    const acc = svg('accuracy');
    expect(axes(acc, 'X')[0].ticks.map((t) => t.text)).toEqual(['0', '0.3']);
    expect(axes(acc, 'Y')[0].description).toMatch(/from 0 to 100$/);
    expect(marks(acc, 'point')).toHaveLength(0);
    expect(marks(acc, 'text mark').map((t) => [t.text, t.fields.noise])).toEqual([['0/2 seeds', '0'], ['0/2 seeds', '0.3']]);
    expect(file.tables.map((t) => [t.name, t.rows.length, t.empty])).toEqual([
      ['test_accuracy', 2, null], ['robustness', 0, 'No point has finished yet.'], ['distances', 0, 'No point has finished yet.'],
    ]);
  }, 60_000);

  test("aggregating again removes figures the new aggregate did not draw (a key's old name, a stale PNG)", async () => {
    const figures = path.join(tmp, 'full', 'aggregate', 'figures');
    fs.writeFileSync(path.join(figures, 'accuracy_lr.svg'), '<svg/>');
    fs.writeFileSync(path.join(figures, 'accuracy.png'), 'old');
    fs.writeFileSync(path.join(figures, 'notes.txt'), 'kept');
    await writeAggregate(path.join(tmp, 'full'), { png: false });
    expect(fs.readdirSync(figures).sort()).toEqual([
      'accuracy.svg', 'accuracy.vl.json', 'distances.svg', 'distances.vl.json', 'final_distances.svg', 'final_distances.vl.json', 'notes.txt',
      'robustness.svg', 'robustness.vl.json',
    ]);
  }, 60_000);

  test('many numeric values: a linear axis with a tick at each grid value', async () => {
    const grid = [0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1];
    const { svg } = await aggregated('many', { noise: grid }, [1], () => 'done', (i) => v(0.4 + 0.01 * i, 0.41 + 0.01 * i));
    const acc = svg('accuracy');
    const [x] = axes(acc, 'X');
    expect(x.description).toMatch(/^X-axis titled 'noise' for a linear scale with values from 0(\.0)? to 1(\.0)?$/);
    expect(x.ticks.map((t) => t.text)).toEqual(grid.map(String));
    // One seed: no interval at all.
    expect(marks(acc, 'area mark')).toHaveLength(0);
    expect(marks(acc, 'rule mark')).toHaveLength(0);
    for (const p of marks(acc, 'point')) expect(near(p.x, tickAt(acc, p.fields.noise), 1)).toBe(true);
  }, 60_000);
});
