// The files the page is made of, all from the package itself (the page needs no network): its
// script and style sheet from src/serve/web/, and the Vega, Vega-Lite and vega-embed browser
// builds from their packages in node_modules.
import fs from 'fs';
import path from 'path';
import { packageRoot } from '../native';

/** An asset: its bytes and content type. */
export interface Asset {
  type: string;
  body: string;
}

/** The folder of the page's own files (shipped in the package, see package.json "files"). */
export const WEB_DIR = path.join(packageRoot, 'src', 'serve', 'web');

/** The page's scripts in load order: the three libraries, then the page's own. */
export const SCRIPTS = ['vega.min.js', 'vega-lite.min.js', 'vega-embed.min.js', 'app.js'] as const;

/** The page's style sheet. */
export const STYLE = 'style.css';

/** Where each asset comes from: a file of an installed package, or of WEB_DIR. */
const SOURCES: Record<string, { module?: [string, string]; file?: string; type: string }> = {
  'vega.min.js': { module: ['vega', 'build/vega.min.js'], type: 'text/javascript; charset=utf-8' },
  'vega-lite.min.js': { module: ['vega-lite', 'build/vega-lite.min.js'], type: 'text/javascript; charset=utf-8' },
  'vega-embed.min.js': { module: ['vega-embed', 'build/vega-embed.min.js'], type: 'text/javascript; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

const cache = new Map<string, Asset>();

/**
 * The folder of installed package `name`, found where node's resolution would look. (The packages'
 * "exports" do not list their browser builds, so require.resolve cannot name those files.)
 */
export function packageDir(name: string): string {
  for (const dir of require.resolve.paths(name) ?? []) {
    if (fs.existsSync(path.join(dir, name, 'package.json'))) return path.join(dir, name);
  }
  throw new Error(`the package ${name} is not installed (it is a dependency of wsr-native: reinstall with npm ci)`);
}

/** The asset called `name`, or null when there is none. Read once, then kept. */
export function asset(name: string): Asset | null {
  const source = Object.prototype.hasOwnProperty.call(SOURCES, name) ? SOURCES[name] : undefined;
  if (!source) return null;
  let found = cache.get(name);
  if (!found) {
    const file = source.module ? path.join(packageDir(source.module[0]), source.module[1]) : path.join(WEB_DIR, source.file!);
    found = { type: source.type, body: fs.readFileSync(file, 'utf8') };
    cache.set(name, found);
  }
  return found;
}
