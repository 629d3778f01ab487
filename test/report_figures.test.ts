import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import {
  EpochRecord, FIGURE_NAMES, FigureUpdates, MAP_EPOCH_PARAM, buildFigureSpecs, buildFigures, divergenceMapSpec, metricsJsonl,
  parseMetricsCsv, pngAvailable, pngUnavailableReason, reportRun, withFigureConfig, writeReport,
} from '../src/report';
import { checkWellFormed } from './helpers/xml';
import { syntheticRecords } from './helpers/records';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The epochs of the points Vega drew for one series (its aria labels name the series and the epoch). */
function pointEpochs(svg: string, series: string): number[] {
  const labels = [...svg.matchAll(/aria-label="([^"]*)" role="graphics-symbol" aria-roledescription="point"/g)].map((m) => m[1]);
  return labels.filter((l) => l.endsWith(`: ${series}`)).map((l) => Number(/^epoch: (\d+);/.exec(l)![1]));
}

/** The fill of every heat-map cell drawn, in order. */
function cellFills(svg: string): string[] {
  return [...svg.matchAll(/aria-roledescription="rect mark" d="[^"]*" fill="([^"]*)"/g)].map((m) => m[1]);
}

function epochs(records: readonly EpochRecord[], model: 'cnn' | 'fcn', has: (r: EpochRecord) => number | null = (r) => r.loss): number[] {
  return records.filter((r) => r.model === model && Number.isFinite(has(r))).map((r) => r.epoch);
}

/** Three LC layers with maps (lc1 14×14, lc2 5×5, lc3 3×3), as a real run records them. */
function withEveryMap(records: EpochRecord[]): EpochRecord[] {
  for (const r of records) {
    if (r.model !== 'fcn') continue;
    const d = r.layers[1].divergence;
    r.layers[1].divergenceMap = { height: 5, width: 5, values: Array.from({ length: 25 }, (_, k) => d * (1 + k / 25)) };
    r.layers.push({ ...r.layers[1], layer: 'lc3', divergenceMap: { height: 3, width: 3, values: [d, d, d, d, NaN, d, d, d, 2 * d] } });
  }
  return records;
}

describe('figures from synthetic records (made-up test data)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsr-figures-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('every figure renders, well-formed, without NaN or undefined, with its labels', async () => {
    const records = syntheticRecords(12, 10);
    records[5].val_loss = NaN;
    const { figures, skipped } = await buildFigures(records);
    expect(skipped).toEqual([]);
    expect(figures.map((f) => f.name)).toEqual([...FIGURE_NAMES]);
    const expected: Record<string, string[]> = {
      loss: ['CNN train', 'CNN validation', 'FCN train', 'FCN validation', 'conversion (epoch 12)', 'epoch', 'Loss: CNN vs FCN (noise σ = 0.5)', 'cross-entropy loss'],
      accuracy: ['CNN train', 'FCN validation', 'accuracy (%)', 'conversion (epoch 12)'],
      distances: [
        'lc1: Euclidean distance', 'lc1: Cosine distance', 'lc2: Euclidean distance', 'lc2: Cosine distance',
        'r = 1', 'r = 4', 'dist_r (lc1)', 'cos_r (lc1)', 'dist_r (lc2)', 'cos_r (lc2)', 'conversion (epoch 12)',
      ],
      robustness: ['clean validation', 'translation ±25%', 'noise σ = 0.15', 'edge noise σ = 0.15', 'rotation ±45°', 'quadrant swap', 'CNN', 'FCN', 'conversion'],
      divergence_map: ["Distance of each position's filters to the tied filter, ‖W_ij − W_tied‖ / ‖W_tied‖, epoch 22", 'lc1 (14 × 14)', 'output row i', 'output column j'],
    };
    for (const { name, svg } of figures) {
      const doc = checkWellFormed(svg);
      expect(doc.root).toBe('svg');
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
      expect(doc.texts).toEqual(expect.arrayContaining(expected[name]));
    }
    // A point per epoch of each series; the NaN validation loss of epoch 6 leaves a gap.
    const loss = figures[0].svg;
    expect(pointEpochs(loss, 'CNN train')).toEqual(epochs(records, 'cnn'));
    expect(pointEpochs(loss, 'CNN validation')).toEqual(epochs(records, 'cnn').filter((e) => e !== 6));
    expect(pointEpochs(loss, 'FCN train')).toEqual(epochs(records, 'fcn'));
    expect(pointEpochs(loss, 'FCN validation')).toHaveLength(10);
    // The conversion is one dashed rule.
    expect(loss.match(/aria-roledescription="rule mark"[^>]*stroke-dasharray="4,4"/g) ?? []).toHaveLength(1);
    // Robustness: six panels of both models.
    const robustness = figures[3].svg;
    expect(pointEpochs(robustness, 'CNN')).toHaveLength(6 * 22);
    expect(pointEpochs(robustness, 'FCN')).toHaveLength(6 * 10);
    // Distances: every LC layer, both metrics; lc2 (5×5) has no r = 4 centre, so only lc1 draws r = 4.
    const distances = figures[2].svg;
    expect(pointEpochs(distances, 'r = 1')).toHaveLength(2 * 2 * 10);
    expect(pointEpochs(distances, 'r = 4')).toHaveLength(2 * 10);
    // The map of the last epoch: one cell per position.
    expect(cellFills(figures[4].svg)).toHaveLength(14 * 14);
  });

  test('the divergence map has a heat map per LC layer and an epoch slider; the static render shows the last epoch', async () => {
    const records = withEveryMap(syntheticRecords(4, 6));
    const spec = divergenceMapSpec(records) as unknown as { params: { name: string; value: number; bind: Record<string, unknown> }[]; hconcat: unknown[]; data: { values: { epoch: number }[] } };
    expect(spec.hconcat).toHaveLength(3);
    expect(spec.params).toEqual([{ name: MAP_EPOCH_PARAM, value: 10, bind: expect.objectContaining({ input: 'range', min: 5, max: 10, step: 1 }) }]);
    // Every FCN epoch's maps travel with the interactive spec; the static one carries the last epoch's only.
    expect(new Set(spec.data.values.map((v) => v.epoch))).toEqual(new Set([5, 6, 7, 8, 9, 10]));
    const last = divergenceMapSpec(records, 'last') as unknown as { params: { value: number; bind?: unknown }[]; data: { values: { epoch: number }[] } };
    expect(last.params).toEqual([{ name: MAP_EPOCH_PARAM, value: 10 }]);
    expect(last.data.values).toHaveLength(196 + 25 + 9);
    expect(new Set(last.data.values.map((v) => v.epoch))).toEqual(new Set([10]));

    // Moving the slider (the param) redraws every map from that epoch's values; the NaN of lc3 is a grey cell.
    const view = new vega.View(vega.parse(compile(withFigureConfig(divergenceMapSpec(records)!)).spec), { renderer: 'none' });
    try {
      const atLast = await view.toSVG();
      expect(atLast).toContain('epoch 10</text>');
      expect(checkWellFormed(atLast).texts).toEqual(expect.arrayContaining(['lc1 (14 × 14)', 'lc2 (5 × 5)', 'lc3 (3 × 3)']));
      expect(cellFills(atLast)).toHaveLength(196 + 25 + 8 + 1);
      expect(cellFills(atLast)).toContain('#bdbdbd');
      view.signal(MAP_EPOCH_PARAM, 6);
      await view.runAsync();
      const atSix = await view.toSVG();
      expect(atSix).toContain('epoch 6</text>');
      expect(cellFills(atSix)).toHaveLength(196 + 25 + 9);
      expect(cellFills(atSix)).not.toEqual(cellFills(atLast));
    } finally {
      view.finalize();
    }
  });

  test('writeReport writes metrics.csv, the SVGs and (when the renderer loads) PNGs, atomically', async () => {
    const records = syntheticRecords(6, 4);
    const warnings: string[] = [];
    const pending = writeReport(dir, records, { warn: (m) => warnings.push(m) });
    // metrics.csv is on disk before the figures are drawn.
    expect(parseMetricsCsv(readFileSync(path.join(dir, 'metrics.csv'), 'utf8'))).toHaveLength(records.length);
    const written = await pending;
    expect(written.figureError).toBeNull();
    const figures = readdirSync(path.join(dir, 'figures')).sort();
    for (const name of FIGURE_NAMES) expect(figures).toContain(`${name}.svg`);
    expect(figures.every((f) => !f.startsWith('.'))).toBe(true);
    if (!pngAvailable()) {
      console.log(`PNG checks skipped: @resvg/resvg-js does not load here (${pngUnavailableReason()})`);
      expect(warnings).toHaveLength(1);
      return;
    }
    expect(warnings).toEqual([]);
    for (const name of FIGURE_NAMES) {
      const png = readFileSync(path.join(dir, 'figures', `${name}.png`));
      expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(png.length).toBeGreaterThan(5000);
    }
    expect(written.files).toHaveLength(1 + 2 * FIGURE_NAMES.length);
  });

  test('during the CNN phase the FCN figures are skipped with a reason, and no conversion marker is drawn', async () => {
    const { figures, skipped } = await buildFigures(syntheticRecords(5, 0));
    expect(figures.map((f) => f.name)).toEqual(['loss', 'accuracy', 'robustness']);
    expect(skipped.map((s) => s.name)).toEqual(['distances', 'divergence_map']);
    expect(figures[0].svg).not.toContain('conversion');
    expect(pointEpochs(figures[0].svg, 'CNN train')).toEqual([1, 2, 3, 4, 5]);
    expect(pointEpochs(figures[0].svg, 'FCN train')).toEqual([]);
    expect(buildFigureSpecs([]).figures).toEqual([]);
    expect((await buildFigures([])).figures).toEqual([]);
    for (const { svg } of (await buildFigures(syntheticRecords(1, 0))).figures) {
      checkWellFormed(svg);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    }
  });

  test('the specs are plain JSON: what the browser receives renders the same', async () => {
    const { figures } = buildFigureSpecs(syntheticRecords(3, 2), { mapEpochs: 'last' });
    for (const { spec } of figures) expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  test('reportRun prefers metrics.jsonl (maps included) and falls back to metrics.csv', async () => {
    const records = syntheticRecords(4, 3);
    writeFileSync(path.join(dir, 'metrics.jsonl'), metricsJsonl(records));
    const fromJsonl = await reportRun(dir, { png: false });
    expect(fromJsonl.source).toBe(path.join(dir, 'metrics.jsonl'));
    expect(fromJsonl.records).toBe(records.length);
    expect(fromJsonl.written.skipped).toEqual([]);
    expect(fromJsonl.table).toContain('best validation accuracy');

    const csvOnly = mkdtempSync(path.join(os.tmpdir(), 'wsr-figures-csv-'));
    try {
      writeFileSync(path.join(csvOnly, 'metrics.csv'), readFileSync(path.join(dir, 'metrics.csv')));
      const fromCsv = await reportRun(csvOnly, { png: false, style: 'markdown' });
      expect(fromCsv.written.skipped.map((s) => s.name)).toEqual(['divergence_map']);
      expect(existsSync(path.join(csvOnly, 'figures', 'distances.svg'))).toBe(true);
      expect(fromCsv.table.startsWith('| metric | CNN | FCN |')).toBe(true);
    } finally {
      rmSync(csvOnly, { recursive: true, force: true });
    }
    await expect(reportRun(path.join(dir, 'nothing'))).rejects.toThrow(/no metrics.jsonl or metrics.csv/);
  });
});

describe('figures rebuilt in the background during a run', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsr-figure-updates-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('updates that arrive during a rebuild collapse into one from the latest records', async () => {
    const warnings: string[] = [];
    const updates = new FigureUpdates(dir, { png: false, warn: (m) => warnings.push(m) });
    const all = syntheticRecords(3, 3);
    for (let n = 1; n <= all.length; n++) updates.update(all.slice(0, n));
    await updates.idle();
    expect(warnings).toEqual([]);
    // The last update won: the FCN figures of epoch 6 exist.
    expect(readFileSync(path.join(dir, 'figures', 'divergence_map.svg'), 'utf8')).toContain('epoch 6</text>');
    expect(pointEpochs(readFileSync(path.join(dir, 'figures', 'loss.svg'), 'utf8'), 'FCN train')).toEqual([4, 5, 6]);
  });

  test('a failure to draw is a warning, never an exception, and the next update still runs', async () => {
    const warnings: string[] = [];
    const blocked = path.join(dir, 'blocked');
    writeFileSync(blocked, 'a file where the run folder should be');
    const updates = new FigureUpdates(blocked, { png: false, warn: (m) => warnings.push(m) });
    expect(() => updates.update(syntheticRecords(2, 0))).not.toThrow();
    await updates.idle();
    expect(warnings).toEqual([expect.stringMatching(/^figures not updated: .*(EEXIST|ENOTDIR)/)]);
    rmSync(blocked);
    updates.update(syntheticRecords(2, 0));
    await updates.idle();
    expect(existsSync(path.join(blocked, 'figures', 'loss.svg'))).toBe(true);
  });
});
