import { heatMap, lineChart, linearAxis, logAxis, formatTick, viridis, relativeLuminance, escapeXml, gridLayout, lineChartFragment, svgDocument } from '../src/report/svg';
import { fmt } from '../src/report/svg/xml';
import { checkWellFormed } from './helpers/xml';

function expectCleanSvg(svg: string): ReturnType<typeof checkWellFormed> {
  const doc = checkWellFormed(svg);
  expect(doc.root).toBe('svg');
  expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
  expect(svg).toMatch(/font-family="&apos;DejaVu Sans&apos;, sans-serif"/);
  expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  return doc;
}

describe('axes', () => {
  test('linear axes get nice ticks covering the data', () => {
    expect(linearAxis(0.03, 0.97).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const epochs = linearAxis(1, 150, 6, 1);
    expect(epochs.ticks).toEqual([0, 20, 40, 60, 80, 100, 120, 140, 160]);
    expect(linearAxis(1, 3, 6, 1).ticks).toEqual([1, 2, 3]);
    const flat = linearAxis(0.5, 0.5);
    expect(flat.min).toBeLessThan(0.5);
    expect(flat.max).toBeGreaterThan(0.5);
    expect(linearAxis(NaN, 3).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    const tiny = linearAxis(0.000012, 0.000049);
    expect(tiny.ticks.map((t) => formatTick(t, tiny))).toEqual(['1e-5', '2e-5', '3e-5', '4e-5', '5e-5']);
    const small = linearAxis(0, 0.012);
    expect(small.ticks.map((t) => formatTick(t, small))).toEqual(['0', '0.002', '0.004', '0.006', '0.008', '0.010', '0.012']);
  });

  test('log axes tick at decades (and 2×, 5× over short spans)', () => {
    expect(logAxis(0.05, 30).ticks).toEqual([0.01, 0.1, 1, 10, 100]);
    expect(logAxis(0.3, 2).ticks).toEqual([0.1, 0.2, 0.5, 1, 2, 5, 10]);
    const axis = logAxis(1e-6, 1e-3);
    expect(axis.ticks.map((t) => formatTick(t, axis))).toEqual(['1e-6', '1e-5', '1e-4', '0.001']);
  });

  test('coordinates refuse NaN; text is escaped', () => {
    expect(() => fmt(NaN)).toThrow(RangeError);
    expect(fmt(1.23456)).toBe('1.23');
    expect(escapeXml(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
  });
});

describe('line chart', () => {
  const x = [1, 2, 3, 4, 5, 6];
  test('several series with gaps, a single point, a marker and awkward labels', () => {
    const svg = lineChart({
      title: 'Loss <train & "val">',
      xLabel: 'epoch', yLabel: 'loss', integerX: true,
      series: [
        { label: 'CNN train', x, y: [2, 1.5, null, 1.1, NaN, 0.9] },
        { label: 'FCN validation', x, y: [null, null, 1.7, null, null, null], dashed: true },
      ],
      markers: [{ x: 3, label: 'conversion' }],
    });
    const doc = expectCleanSvg(svg);
    expect(doc.texts).toEqual(expect.arrayContaining(['Loss <train & "val">', 'CNN train', 'FCN validation', 'conversion', 'epoch', 'loss']));
    const paths = doc.attributes.filter((a) => a.element === 'path' && a.name === 'd').map((a) => a.value);
    expect(paths).toHaveLength(1);
    expect(doc.elements.filter((e) => e === 'circle')).toHaveLength(3);
    expect(doc.attributes.some((a) => a.name === 'stroke-dasharray' && a.value === '6 3')).toBe(true);
  });

  test('a chart without drawable points says so and stays valid', () => {
    const svg = lineChart({ title: 'empty', series: [{ label: 'nothing', x: [1, 2], y: [null, NaN] }] });
    expect(expectCleanSvg(svg).texts).toContain('no data');
    expect(expectCleanSvg(lineChart({ title: 'no series', series: [] })).texts).toContain('no data');
  });

  test('log scale leaves out values that are not positive', () => {
    const svg = lineChart({ title: 'log', logY: true, series: [{ label: 's', x, y: [1, 0.1, 0, -1, 0.01, 0.001] }] });
    const doc = expectCleanSvg(svg);
    expect(doc.elements.filter((e) => e === 'path')).toHaveLength(2);
    expect(doc.texts).toEqual(expect.arrayContaining(['0.001', '0.01', '0.1', '1']));
  });

  test('panels compose into one document', () => {
    const panel = (title: string) => lineChartFragment({ title, series: [{ label: title, x, y: x }], width: 300, height: 200 });
    const grid = gridLayout([panel('a'), panel('b'), panel('c')], 2, 10);
    expect(grid.width).toBe(610);
    expect(grid.height).toBe(410);
    expectCleanSvg(svgDocument(grid, 'grid'));
  });
});

describe('heat map', () => {
  test('viridis gets lighter monotonically from dark purple to yellow', () => {
    expect(viridis(0)).toBe('#440154');
    expect(viridis(1)).toBe('#fde725');
    expect(viridis(-3)).toBe(viridis(0));
    let previous = -1;
    for (let i = 0; i <= 200; i++) {
      const l = relativeLuminance(viridis(i / 200));
      expect(l).toBeGreaterThan(previous);
      previous = l;
    }
    expect(() => viridis(NaN)).toThrow(RangeError);
  });

  test('draws one cell per value, grey for missing ones, a colour bar with ticks and the title', () => {
    const values = Array.from({ length: 6 * 4 }, (_, i) => i / 10);
    values[5] = NaN;
    const svg = heatMap({ title: 'lc1 divergence', rows: 6, columns: 4, values, valueLabel: 'relative distance', xLabel: 'j', yLabel: 'i' });
    const doc = expectCleanSvg(svg);
    expect(doc.texts).toEqual(expect.arrayContaining(['lc1 divergence', 'relative distance', 'grey: no value', '0', '1', '2']));
    const fills = doc.attributes.filter((a) => a.element === 'rect' && a.name === 'fill').map((a) => a.value);
    expect(fills).toContain('#bdbdbd');
    expect(fills).toContain(viridis(0));
    expect(fills).toContain(viridis(1));
    expect(doc.elements.filter((e) => e === 'rect').length).toBe(1 + 24 + 1 + 64 + 1);
  });

  test('a constant map and a wrong size', () => {
    expectCleanSvg(heatMap({ title: 'zeros', rows: 3, columns: 3, values: new Array(9).fill(0) }));
    expect(() => heatMap({ title: 'bad', rows: 3, columns: 3, values: [1, 2] })).toThrow(/do not fill/);
  });
});
