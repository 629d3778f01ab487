// SVG -> PNG through @resvg/resvg-js when it loads; without it the SVGs stand alone.
import { existsSync } from 'fs';
import path from 'path';

/** The part of @resvg/resvg-js used here. */
interface ResvgModule {
  Resvg: new (svg: string, options?: Record<string, unknown>) => { render(): { asPng(): Buffer } };
}

/** The package that renders PNGs (an optional dependency: a prebuilt native binary per platform). */
export const PNG_RENDERER = '@resvg/resvg-js';

let resvg: ResvgModule | null | undefined;
let loadError = '';
let warned = false;

function load(): ResvgModule | null {
  if (resvg === undefined) {
    try {
      resvg = require(PNG_RENDERER) as ResvgModule;
    } catch (error) {
      resvg = null;
      loadError = (error as Error).message.split('\n')[0];
    }
  }
  return resvg;
}

/** Whether PNGs can be rendered here (the renderer loads). */
export function pngAvailable(): boolean {
  return load() !== null;
}

/** Why the renderer did not load ('' when it did or was not tried). */
export function pngUnavailableReason(): string {
  return loadError;
}

/** Folders where distributions install DejaVu Sans. */
const DEJAVU_DIRS = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/dejavu', '/usr/share/fonts/TTF', '/usr/share/fonts/dejavu-sans-fonts'];

let fonts: Record<string, unknown> | undefined;

/** DejaVu Sans (regular and bold) loaded directly where found, which renders twice as fast; otherwise all system fonts. */
function fontOptions(): Record<string, unknown> {
  if (fonts === undefined) {
    const family = { defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
    const dir = DEJAVU_DIRS.find((d) => existsSync(path.join(d, 'DejaVuSans.ttf')) && existsSync(path.join(d, 'DejaVuSans-Bold.ttf')));
    fonts = dir
      ? { loadSystemFonts: false, fontFiles: ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => path.join(dir, f)), ...family }
      : { loadSystemFonts: true, ...family };
  }
  return fonts;
}

/** Options of {@link svgToPng}. */
export interface PngOptions {
  /** Pixels per SVG unit (default 2, sharp on high-density screens). */
  scale?: number;
  /** Told once per process when the renderer cannot load (default: standard error). */
  warn?: (message: string) => void;
}

/**
 * Renders a standalone SVG to PNG bytes with the system fonts (DejaVu Sans preferred), on a
 * white background. Returns null when the renderer cannot load; the first such call warns.
 */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer | null {
  const module = load();
  if (!module) {
    if (!warned) {
      warned = true;
      const warn = options.warn ?? ((m: string) => process.stderr.write(`wsr-native: ${m}\n`));
      warn(`PNG figures skipped: ${PNG_RENDERER} did not load (${loadError}); the SVG figures are written`);
    }
    return null;
  }
  const renderer = new module.Resvg(svg, {
    fitTo: { mode: 'zoom', value: options.scale ?? 2 },
    background: '#ffffff',
    font: fontOptions(),
    logLevel: 'off',
  });
  return renderer.render().asPng();
}
