import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import os from 'os';
import path from 'path';
import { appendMetricsJsonl, metricsJsonl, parseMetricsJsonl, readMetricsJsonl, repairMetricsJsonl } from '../src/report';
import { syntheticRecords } from './helpers/records';

describe('metrics.jsonl', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'wsr-jsonl-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('full records round-trip, divergence maps, null radii and NaN included', () => {
    const records = syntheticRecords(2, 2);
    records[0].loss = NaN;
    records[1].val_loss = Infinity;
    const { records: back, torn } = parseMetricsJsonl(metricsJsonl(records));
    expect(torn).toBeNull();
    expect(back).toEqual(records);
    expect(back[3].layers[0].divergenceMap?.values).toHaveLength(14 * 14);
    expect(back[3].layers[1].dist[4]).toBeNull();
  });

  test('a torn last line is skipped and reported; repair rewrites the file without it', () => {
    const records = syntheticRecords(2, 1);
    const file = path.join(dir, 'metrics.jsonl');
    const whole = metricsJsonl(records);
    const torn = metricsJsonl(syntheticRecords(3, 0).slice(2)).slice(0, 40);
    writeFileSync(file, whole + torn);
    const warnings: string[] = [];
    const result = readMetricsJsonl(file, (m) => warnings.push(m));
    expect(result.records).toEqual(records);
    expect(result.torn).toEqual({ line: records.length + 1, text: torn });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/torn last line \(line 5/);

    repairMetricsJsonl(file, () => undefined);
    expect(readFileSync(file, 'utf8')).toBe(whole);
    appendMetricsJsonl(file, syntheticRecords(3, 0)[2]);
    const after = readMetricsJsonl(file, () => undefined);
    expect(after.torn).toBeNull();
    expect(after.records.map((r) => r.epoch)).toEqual([1, 2, 3, 3, 3]);
  });

  test('a last line that parses but is not a record counts as torn too', () => {
    const text = metricsJsonl(syntheticRecords(1, 0)) + '12';
    expect(parseMetricsJsonl(text).torn).toEqual({ line: 2, text: '12' });
  });

  test('a bad line before the last is an error, not silently dropped', () => {
    const lines = metricsJsonl(syntheticRecords(3, 0)).split('\n');
    lines[1] = lines[1].slice(0, 30);
    expect(() => parseMetricsJsonl(lines.join('\n'))).toThrow(/line 2/);
    expect(() => parseMetricsJsonl('{"epoch":1}\n{"epoch":2}\n')).toThrow(/line 1: not an epoch record/);
  });

  test('empty and blank-line files read as no records', () => {
    expect(parseMetricsJsonl('')).toEqual({ records: [], torn: null });
    expect(parseMetricsJsonl('\n\n').records).toEqual([]);
  });
});
