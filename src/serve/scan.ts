// The runs and sweeps under the served folder: a run is a folder with config.json, a sweep a folder
// with sweep.json (its points are runs inside it). The walk skips hidden folders and node_modules,
// does not follow symbolic links, does not descend into runs, and stops at a depth and a count.
import fs from 'fs';
import path from 'path';
import { lockHolder } from '../train/lock';
import { runPaths } from '../train/runFiles';
import { RootFolder } from './root';

/**
 * Where a run stands: a live process holds its lock; its state says done; it has a state but is not
 * done (stopped, resumable); or it has no state file at all (a run folder copied without its
 * checkpoints, such as those in docs/runs/).
 */
export type RunStatus = 'running' | 'finished' | 'stopped' | 'unknown';

/** One run or sweep of the index. */
export interface IndexEntry {
  kind: 'run' | 'sweep';
  /** Relative to the served folder, '/'-separated ('' for the folder itself). */
  path: string;
  name: string;
  /** Runs only. */
  status?: RunStatus;
  /** Runs only: the last completed epoch (0 before the first). */
  epochs?: number;
  /** Last change (ms since the epoch) of the files that say how far it got. */
  updated: number;
}

/** How far the walk goes. */
export const SCAN_LIMITS = { depth: 8, entries: 2000 } as const;

const SKIPPED = new Set(['node_modules', 'checkpoints', 'figures']);

function mtime(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** Whether a live process holds the run's lock (a lock whose holder is provably gone or whose lease expired does not count). */
function lockHeld(dir: string): boolean {
  const holder = lockHolder(dir);
  return holder !== null && holder.stale === null;
}

/** The epoch of the last record of metrics.jsonl, else of metrics.csv (0 when there is none). */
function lastRecordedEpoch(paths: ReturnType<typeof runPaths>): number {
  for (const file of [paths.jsonl, paths.csv]) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const lines = text.trimEnd().split('\n');
    const last = lines[lines.length - 1];
    try {
      const epoch = file === paths.jsonl ? (JSON.parse(last) as { epoch?: unknown }).epoch : Number(last.split(',')[0]);
      if (typeof epoch === 'number' && Number.isInteger(epoch) && epoch > 0) return epoch;
    } catch {
      // A torn last line: the state file, when there is one, knows better.
    }
  }
  return 0;
}

/** A run's status, last completed epoch and last change. */
export function runProgress(dir: string): { status: RunStatus; epochs: number; updated: number } {
  const paths = runPaths(dir);
  const state = readJson(paths.state) as { phase?: unknown; completedEpoch?: unknown } | null;
  const epochs = typeof state?.completedEpoch === 'number' ? state.completedEpoch : lastRecordedEpoch(paths);
  const status: RunStatus = lockHeld(dir) ? 'running' : state === null ? 'unknown' : state.phase === 'done' ? 'finished' : 'stopped';
  const updated = Math.max(mtime(paths.config), mtime(paths.jsonl), mtime(paths.csv), mtime(paths.state));
  return { status, epochs, updated };
}

/** Every run and sweep under the folder, sorted by path. */
export function scanFolder(root: RootFolder): IndexEntry[] {
  const entries: IndexEntry[] = [];
  const walk = (dir: string, depth: number): void => {
    if (entries.length >= SCAN_LIMITS.entries) return;
    const rel = root.relative(dir);
    const name = rel === '' ? path.basename(root.dir) : rel.split('/').pop()!;
    if (fs.existsSync(path.join(dir, 'sweep.json'))) {
      entries.push({ kind: 'sweep', path: rel, name, updated: Math.max(mtime(path.join(dir, 'sweep.json')), mtime(path.join(dir, 'aggregate', 'aggregate.json'))) });
    } else if (fs.existsSync(path.join(dir, 'config.json'))) {
      entries.push({ kind: 'run', path: rel, name, ...runProgress(dir) });
      return;
    }
    if (depth >= SCAN_LIMITS.depth) return;
    let children: fs.Dirent[];
    try {
      children = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const child of children.sort((a, b) => a.name.localeCompare(b.name))) {
      if (child.isDirectory() && !child.name.startsWith('.') && !SKIPPED.has(child.name)) walk(path.join(dir, child.name), depth + 1);
    }
  };
  walk(root.dir, 0);
  return entries;
}
