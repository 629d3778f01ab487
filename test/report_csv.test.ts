import { metricsCsv, parseMetricsCsv, EpochRecord } from '../src/report';
import { formatNumberCell, parseNumberCell } from '../src/report/numbers';
import { parseCsvRows } from '../src/report/csv';
import { syntheticRecords } from './helpers/records';

const PUBLISHED = 'epoch,model,aug_type,aug,vcp,loss,val_loss,accuracy,val_accuracy,translation,noise,edge_noise,rotation,swap,dist_1,dist_4,cos_1,cos_4';
const OURS = 'phase,test_accuracy,divergence,seconds,learning_rate,tie_penalty,lc_rank';

function close(actual: number | null | undefined, expected: number | null | undefined): void {
  if (expected === null || expected === undefined) {
    expect(actual ?? null).toBeNull();
    return;
  }
  if (Number.isNaN(expected)) {
    expect(actual).toBeNaN();
    return;
  }
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(Math.abs(expected) * 5e-6 + 1e-300);
}

describe('metrics.csv', () => {
  test('header is exactly the published columns, ours, then one group per LC layer', () => {
    const header = metricsCsv(syntheticRecords(3, 2)).split('\n')[0];
    const layers = ['lc1', 'lc2'].map((l) => `${l}_dist_1,${l}_dist_4,${l}_cos_1,${l}_cos_4,${l}_divergence`).join(',');
    expect(header).toBe(`${PUBLISHED},${OURS},${layers}`);
    expect(metricsCsv(syntheticRecords(3, 0)).split('\n')[0]).toBe(`${PUBLISHED},${OURS}`);
    expect(metricsCsv([])).toBe(`${PUBLISHED},${OURS}\n`);
  });

  test('null values and CNN rows give empty cells', () => {
    const lines = metricsCsv(syntheticRecords(2, 1)).trim().split('\n');
    const header = lines[0].split(',');
    const cells = (line: string): Record<string, string> => Object.fromEntries(line.split(',').map((c, i) => [header[i], c]));
    const cnnPhase = cells(lines[1]);
    expect(cnnPhase.model).toBe('cnn');
    expect(cnnPhase.phase).toBe('cnn');
    for (const c of ['dist_1', 'dist_4', 'cos_1', 'cos_4', 'divergence', 'test_accuracy', 'lc1_dist_1', 'lc2_divergence']) expect(cnnPhase[c]).toBe('');
    expect(cells(lines[2]).test_accuracy).not.toBe('');
    const fcn = cells(lines[4]);
    expect(fcn.model).toBe('fcn');
    expect(fcn.dist_1).toBe(fcn.lc1_dist_1);
    expect(fcn.divergence).toBe(fcn.lc1_divergence);
    expect(fcn.lc2_dist_4).toBe('');
    expect(fcn.lc2_cos_4).toBe('');
    expect(fcn.lc2_dist_1).not.toBe('');
    expect(fcn.vcp).toBe('0');
    expect(fcn.learning_rate).toBe('0.0001');
  });

  test('rows round-trip through parseMetricsCsv (6 significant digits; maps and other radii stay in the JSONL)', () => {
    const records = syntheticRecords(4, 3);
    records[2].loss = NaN;
    const parsed = parseMetricsCsv(metricsCsv(records));
    expect(parsed).toHaveLength(records.length);
    parsed.forEach((p, i) => {
      const r = records[i];
      for (const key of ['epoch', 'model', 'phase', 'aug_type'] as const) expect(p[key]).toBe(r[key]);
      for (const key of ['aug', 'vcp', 'loss', 'val_loss', 'accuracy', 'val_accuracy', 'translation', 'noise', 'edge_noise', 'rotation', 'swap', 'test_accuracy', 'seconds', 'learning_rate'] as const) {
        close(p[key], r[key]);
      }
      expect(p.layers.map((l) => l.layer)).toEqual(r.layers.map((l) => l.layer));
      p.layers.forEach((l, k) => {
        const want = r.layers[k];
        for (const radius of [1, 4]) {
          close(l.dist[radius], want.dist[radius]);
          close(l.cos[radius], want.cos[radius]);
        }
        close(l.divergence, want.divergence);
        expect(l.divergenceMap).toBeUndefined();
      });
    });
    expect(metricsCsv(parsed)).toBe(metricsCsv(records));
  });

  test('rows are written by epoch, CNN before FCN, whatever the input order', () => {
    const records = syntheticRecords(2, 2).reverse();
    const order = parseMetricsCsv(metricsCsv(records)).map((r) => `${r.epoch}${r.model}`);
    expect(order).toEqual(['1cnn', '2cnn', '3cnn', '3fcn', '4cnn', '4fcn']);
  });

  test('text cells with commas or quotes are quoted and read back', () => {
    const [r] = syntheticRecords(1, 0);
    const odd: EpochRecord = { ...r, aug_type: 'noise, "gaussian"' };
    const text = metricsCsv([odd]);
    expect(text).toContain('"noise, ""gaussian"""');
    expect(parseMetricsCsv(text)[0].aug_type).toBe('noise, "gaussian"');
    expect(parseMetricsCsv(text.replace(/\n/g, '\r\n'))[0].aug_type).toBe('noise, "gaussian"');
  });

  test('number cells', () => {
    expect(formatNumberCell(0.123456789)).toBe('0.123457');
    expect(formatNumberCell(1234567.89)).toBe('1234570');
    expect(formatNumberCell(1.23456789e-7)).toBe('1.23457e-7');
    expect(formatNumberCell(42)).toBe('42');
    expect(formatNumberCell(-0)).toBe('0');
    expect(formatNumberCell(null)).toBe('');
    expect(formatNumberCell(NaN)).toBe('NaN');
    expect(formatNumberCell(-Infinity)).toBe('-Infinity');
    expect(parseNumberCell('')).toBeNull();
    expect(parseNumberCell('nan')).toBeNaN();
    expect(parseNumberCell('inf')).toBe(Infinity);
    expect(parseNumberCell('1.23457e-7')).toBe(1.23457e-7);
    expect(() => parseNumberCell('abc')).toThrow(/not a number/);
  });

  test('reads the published CSV (no wsr-native columns): defaults, and dist/cos as layer1', () => {
    const text = `${PUBLISHED}\n1,fcn,noise,0.5,0,1.2,1.4,0.6,0.55,0.3,0.4,0.45,0.2,0.15,0.01,0.02,0.1,0.2\n1,cnn,noise,0.5,0,1.1,1.3,0.62,0.56,0.31,0.41,0.46,0.21,0.16,,,,\n`;
    const [fcn, cnn] = parseMetricsCsv(text);
    expect(fcn.phase).toBe('branch');
    expect(fcn.test_accuracy).toBeNull();
    expect(fcn.seconds).toBeNaN();
    expect(fcn.layers).toEqual([{ layer: 'layer1', dist: { 1: 0.01, 4: 0.02 }, cos: { 1: 0.1, 4: 0.2 }, divergence: NaN }]);
    expect(cnn.layers).toEqual([]);
  });

  test('rejects a missing published column, an unknown model and a bad number, naming the line', () => {
    expect(() => parseMetricsCsv('epoch,model\n1,cnn\n')).toThrow(/no column 'aug_type'/);
    const good = metricsCsv(syntheticRecords(2, 0)).split('\n');
    expect(() => parseMetricsCsv([good[0], good[1].replace(',cnn,', ',rnn,')].join('\n'))).toThrow(/line 2: unknown model 'rnn'/);
    expect(() => parseMetricsCsv([good[0], good[1], good[2].replace(/^2,/, 'two,')].join('\n'))).toThrow(/line 3, column epoch/);
  });

  test('the CSV splitter handles quoted line breaks and a missing final newline', () => {
    expect(parseCsvRows('a,b\n"x\ny",2')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x\ny', '2'] },
    ]);
    expect(() => parseCsvRows('a,"b')).toThrow(/unterminated/);
    // CRLF, blank lines and a quoted line break: each row names the line it starts on.
    expect(parseCsvRows('a,b\r\n\r\n"x\ny",2\r\n3').map((r) => r.line)).toEqual([1, 3, 5]);
  });
});
