import { renderSvg } from '../src/report/vega';
import { svgToPng } from '../src/report/png';

describe('Vega-Lite figures rendered headless', () => {
  const points = Array.from({ length: 7 }, (_, i) => ({ epoch: i + 1, loss: 2 / (i + 1), model: i % 2 ? 'cnn' : 'fcn' }));

  test('a line chart renders to an SVG with one path per series and the title', async () => {
    const svg = await renderSvg({
      title: 'Loss by epoch',
      data: { values: points },
      mark: 'line',
      encoding: {
        x: { field: 'epoch', type: 'quantitative' },
        y: { field: 'loss', type: 'quantitative' },
        color: { field: 'model', type: 'nominal' },
      },
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Loss by epoch');
    // One line mark per colour group: the two models.
    expect(svg.match(/<path[^>]*aria-roledescription="line mark"/g) ?? []).toHaveLength(2);
    const png = svgToPng(svg);
    if (png) expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });

  test('a spec that does not compile is an error naming the figure', async () => {
    await expect(
      renderSvg({ title: 'broken', data: { values: points }, mark: 'no-such-mark' as 'line', encoding: {} }),
    ).rejects.toThrow(/figure 'broken': the Vega-Lite spec does not compile/);
  });
});
