import { EpochRecord, formatSummaryTable, summarize } from '../src/report';
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

describe('the FCN conversion record', () => {
  test('is neither an FCN epoch nor its best validation accuracy', () => {
    const base = {
      aug_type: 'noise', aug: 0.5, vcp: 0, loss: 1, val_loss: 1, accuracy: 0.5,
      translation: 0.3, noise: 0.3, edge_noise: 0.3, rotation: 0.3, swap: 0.3,
      test_accuracy: null, seconds: 1, learning_rate: 1e-3,
    };
    const records: EpochRecord[] = [
      { ...base, epoch: 1, model: 'cnn', phase: 'cnn', val_accuracy: 0.6, layers: [] },
      { ...base, epoch: 1, model: 'fcn', phase: 'cnn', val_accuracy: 0.6, layers: [] },
      { ...base, epoch: 2, model: 'cnn', phase: 'branch', val_accuracy: 0.55, layers: [] },
      { ...base, epoch: 2, model: 'fcn', phase: 'branch', val_accuracy: 0.5, layers: [] },
    ];
    const fcn = summarize(records).find((r) => r.model === 'fcn')!;
    expect(fcn.epochs).toBe(1);
    expect(fcn.bestValAccuracy).toBe(0.5);
    expect(fcn.bestValEpoch).toBe(2);
  });
});
