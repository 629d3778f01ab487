// `wsr-native report RUN --html`: the run browser's view of one run as a single HTML file, with the
// scripts, style and data inlined, that opens from disk with no server and no network.
import path from 'path';
import { writeFileAtomic } from '../util/atomic';
import { standalonePage } from './page';
import { RootFolder } from './root';
import { runView } from './runView';
import { IndexEntry, runProgress } from './scan';

/** The default file name, inside the run folder. */
export const HTML_REPORT = 'report.html';

/** The page of the run in `runDir`, as text. */
export function runHtml(runDir: string, now = new Date()): string {
  const dir = new RootFolder(runDir).dir;
  const view = runView(dir, '');
  const entry: IndexEntry = { kind: 'run', path: '', name: view.name, ...runProgress(dir) };
  return standalonePage(view.name, {
    index: { root: dir, entries: [entry] },
    views: { 'run:': view },
    note: `${view.name}: a snapshot written ${now.toISOString().replace(/\.\d+Z$/, 'Z')} (wsr-native report --html)`,
  });
}

/** Writes the page of the run in `runDir` atomically to `file` (default `<runDir>/report.html`); returns its path. */
export function writeRunHtml(runDir: string, file?: string): string {
  const target = path.resolve(file ?? path.join(runDir, HTML_REPORT));
  writeFileAtomic(target, runHtml(runDir));
  return target;
}
