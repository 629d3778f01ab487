import { svgToPng as SvgToPng } from '../src/report/png';

describe('PNG rendering without @resvg/resvg-js', () => {
  test('returns null and warns once when the renderer cannot load', () => {
    jest.isolateModules(() => {
      jest.doMock('@resvg/resvg-js', () => {
        throw new Error('simulated: no prebuilt binary for this platform');
      }, { virtual: true });
      const png = require('../src/report/png') as { svgToPng: typeof SvgToPng; pngAvailable(): boolean; pngUnavailableReason(): string };
      const warnings: string[] = [];
      const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>';
      expect(png.svgToPng(svg, { warn: (m) => warnings.push(m) })).toBeNull();
      expect(png.svgToPng(svg, { warn: (m) => warnings.push(m) })).toBeNull();
      expect(png.pngAvailable()).toBe(false);
      expect(png.pngUnavailableReason()).toMatch(/no prebuilt binary/);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/PNG figures skipped: @resvg\/resvg-js did not load .*; the SVG figures are written/);
    });
  });
});
