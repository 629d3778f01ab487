import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { FIGURE_NAMES, buildFigures, metricsJsonl, parseMetricsCsv, pngAvailable, pngUnavailableReason, reportRun, writeReport } from '../src/report';
import { checkWellFormed } from './helpers/xml';
import { syntheticRecords } from './helpers/records';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('figures from synthetic records (made-up test data)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsr-figures-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('every figure renders, well-formed, without NaN or undefined, with its labels', () => {
    const records = syntheticRecords(12, 10);
    records[5].val_loss = NaN;
    const { figures, skipped } = buildFigures(records);
    expect(skipped).toEqual([]);
    expect(figures.map((f) => f.name)).toEqual([...FIGURE_NAMES]);
    const expected: Record<string, string[]> = {
      loss: ['CNN train', 'CNN validation', 'FCN train', 'FCN validation', 'conversion (epoch 12)', 'epoch', 'Loss: CNN vs FCN (noise σ = 0.5)'],
      accuracy: ['CNN train', 'FCN validation', 'accuracy (%)'],
      distances: ['Euclidean distance', 'Cosine distance', 'r = 1', 'r = 4', 'dist_r (lc1)', 'cos_r (lc1)'],
      robustness: ['clean validation', 'translation ±25%', 'noise σ = 0.15', 'edge noise σ = 0.15', 'rotation ±45°', 'quadrant swap', 'CNN', 'FCN'],
      divergence_map: ['lc1: distance of each position\'s filters to the tied filter, epoch 22', 'output row i', 'output column j'],
    };
    for (const { name, svg } of figures) {
      const doc = checkWellFormed(svg);
      expect(doc.root).toBe('svg');
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
      expect(doc.texts).toEqual(expect.arrayContaining(expected[name]));
    }
  });

  test('writeReport writes metrics.csv, the SVGs and (when the renderer loads) PNGs, atomically', () => {
    const records = syntheticRecords(6, 4);
    const warnings: string[] = [];
    const written = writeReport(dir, records, { warn: (m) => warnings.push(m) });
    expect(written.figureError).toBeNull();
    expect(parseMetricsCsv(readFileSync(path.join(dir, 'metrics.csv'), 'utf8'))).toHaveLength(records.length);
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

  test('during the CNN phase the FCN figures are skipped with a reason, and no conversion marker is drawn', () => {
    const { figures, skipped } = buildFigures(syntheticRecords(5, 0));
    expect(figures.map((f) => f.name)).toEqual(['loss', 'accuracy', 'robustness']);
    expect(skipped.map((s) => s.name)).toEqual(['distances', 'divergence_map']);
    expect(figures[0].svg).not.toContain('conversion');
    expect(buildFigures([]).figures).toEqual([]);
    for (const { svg } of buildFigures(syntheticRecords(1, 0)).figures) {
      checkWellFormed(svg);
      expect(svg).not.toMatch(/NaN|undefined|Infinity/);
    }
  });

  test('reportRun prefers metrics.jsonl (maps included) and falls back to metrics.csv', () => {
    const records = syntheticRecords(4, 3);
    writeFileSync(path.join(dir, 'metrics.jsonl'), metricsJsonl(records));
    const fromJsonl = reportRun(dir, { png: false });
    expect(fromJsonl.source).toBe(path.join(dir, 'metrics.jsonl'));
    expect(fromJsonl.records).toBe(records.length);
    expect(fromJsonl.written.skipped).toEqual([]);
    expect(fromJsonl.table).toContain('best validation accuracy');

    const csvOnly = mkdtempSync(path.join(os.tmpdir(), 'wsr-figures-csv-'));
    try {
      writeFileSync(path.join(csvOnly, 'metrics.csv'), readFileSync(path.join(dir, 'metrics.csv')));
      const fromCsv = reportRun(csvOnly, { png: false, style: 'markdown' });
      expect(fromCsv.written.skipped.map((s) => s.name)).toEqual(['divergence_map']);
      expect(existsSync(path.join(csvOnly, 'figures', 'distances.svg'))).toBe(true);
      expect(fromCsv.table.startsWith('| metric | CNN | FCN |')).toBe(true);
    } finally {
      rmSync(csvOnly, { recursive: true, force: true });
    }
    expect(() => reportRun(path.join(dir, 'nothing'))).toThrow(/no metrics.jsonl or metrics.csv/);
  });
});
