import { formatSummaryTable, summarize } from '../src/report';
import { syntheticRecords } from './helpers/records';

describe('summary (made-up test records)', () => {
  test('picks the best validation epoch (the first on ties), the last test accuracy and the final values', () => {
    const records = syntheticRecords(5, 4);
    const cnnRows = records.filter((r) => r.model === 'cnn');
    cnnRows[2].val_accuracy = 0.9; // epoch 3, CNN phase
    cnnRows[6].val_accuracy = 0.9; // epoch 7, a tie later on
    cnnRows[4].val_accuracy = NaN;
    const fcnRows = records.filter((r) => r.model === 'fcn');
    fcnRows[1].val_accuracy = 0.95; // epoch 7
    const [cnn, fcn] = summarize(records);
    expect(cnn.model).toBe('cnn');
    expect([cnn.bestValAccuracy, cnn.bestValEpoch]).toEqual([0.9, 3]);
    expect([fcn.bestValAccuracy, fcn.bestValEpoch]).toEqual([0.95, 7]);
    expect([cnn.epochs, cnn.branchEpochs, fcn.epochs, fcn.branchEpochs]).toEqual([9, 4, 4, 4]);
    expect(cnn.testEpoch).toBe(9);
    expect(fcn.testAccuracy).toBe(fcnRows[3].test_accuracy);
    expect(fcn.robustness.swap).toBe(fcnRows[3].swap);
    expect(fcn.layer).toBe('lc1');
    expect(fcn.dist4).toBe(fcnRows[3].layers[0].dist[4]);
    expect(fcn.divergence).toBe(fcnRows[3].layers[0].divergence);
    expect(cnn.dist1).toBeNull();
    expect(summarize([])).toEqual([]);
  });

  test('formats an aligned text table and a Markdown table', () => {
    const rows = summarize(syntheticRecords(5, 4));
    const text = formatSummaryTable(rows);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^metric\s+CNN\s+FCN$/);
    expect(new Set(lines.map((l) => l.length)).size).toBeLessThanOrEqual(2);
    expect(text).toMatch(/best validation accuracy\s+\d+\.\d\d% \(epoch \d+\)\s+\d+\.\d\d% \(epoch \d+\)/);
    expect(text).toMatch(/final dist_1 \(lc1\)\s+-\s+\d/);
    const md = formatSummaryTable(rows, 'markdown').trimEnd().split('\n');
    expect(md[0]).toBe('| metric | CNN | FCN |');
    expect(md[1]).toBe('| --- | ---: | ---: |');
    expect(md.every((l) => l.startsWith('| ') && l.endsWith(' |'))).toBe(true);
    expect(md).toContain('| epochs trained | 9 | 4 |');
  });

  test('a CNN-only run has one column', () => {
    const text = formatSummaryTable(summarize(syntheticRecords(3, 0)));
    expect(text.split('\n')[0]).toMatch(/^metric\s+CNN$/);
    expect(text).toMatch(/test accuracy\s+\d+\.\d\d% \(epoch 3\)/);
  });
});
