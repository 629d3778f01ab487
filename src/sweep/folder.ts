// The sweep folder (see the contract in docs/studies.md): sweep.json names the spec and its points,
// and each point is an ordinary run folder beside it, with the log of its train runs.
import fs from 'fs';
import path from 'path';
import { readConfig, readRunState, runPaths } from '../train/runFiles';
import { writeJsonAtomic } from '../util/atomic';
import { SweepPoint, expandPoints } from './points';
import { SpecError, SweepSpec } from './spec';

/** sweep.json. */
export interface SweepFile {
  format: 'wsr-native-sweep';
  version: 1;
  created: string;
  spec: SweepSpec;
  points: SweepPoint[];
}

/** Paths in a sweep folder. */
export const SWEEP_FILE = 'sweep.json';
export const POINT_LOG = 'train.log';

export function sweepFilePath(dir: string): string {
  return path.join(dir, SWEEP_FILE);
}
export function pointDir(dir: string, point: SweepPoint): string {
  return path.join(path.resolve(dir), point.name);
}
export function pointLog(dir: string, point: SweepPoint): string {
  return path.join(pointDir(dir, point), POINT_LOG);
}

/** Reads sweep.json, or null when `dir` holds none; throws when it is not a sweep's. */
export function readSweepFile(dir: string): SweepFile | null {
  const file = sweepFilePath(dir);
  if (!fs.existsSync(file)) return null;
  let value: SweepFile;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepFile;
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (value.format !== 'wsr-native-sweep' || value.version !== 1 || !Array.isArray(value.points)) throw new Error(`${file}: not a wsr-native sweep file`);
  return value;
}

/** Writes sweep.json for `spec` atomically (or, with write false, only makes its content). */
export function writeSweepFile(dir: string, spec: SweepSpec, created = new Date().toISOString(), write = true): SweepFile {
  const file: SweepFile = { format: 'wsr-native-sweep', version: 1, created, spec, points: expandPoints(spec) };
  if (!write) return file;
  fs.mkdirSync(dir, { recursive: true });
  writeJsonAtomic(sweepFilePath(dir), file);
  return file;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** What differs between two specs, in words ('' when they are the same). */
export function specDifference(before: SweepSpec, now: SweepSpec): string {
  const out: string[] = [];
  const keys = new Set([...Object.keys(before.grid), ...Object.keys(now.grid)]);
  for (const k of keys) if (!same(before.grid[k], now.grid[k])) out.push(`grid ${k}: ${JSON.stringify(before.grid[k] ?? null)} → ${JSON.stringify(now.grid[k] ?? null)}`);
  if (!same(Object.keys(before.grid), Object.keys(now.grid)) && out.length === 0) out.push('the order of the grid keys');
  if (!same(before.seeds, now.seeds)) out.push(`seeds: ${before.seeds.join(',')} → ${now.seeds.join(',')}`);
  const tkeys = new Set([...Object.keys(before.train), ...Object.keys(now.train)]);
  for (const k of tkeys) if (!same(before.train[k], now.train[k])) out.push(`train ${k}: ${JSON.stringify(before.train[k] ?? null)} → ${JSON.stringify(now.train[k] ?? null)}`);
  return out.join('; ');
}

/**
 * The sweep file to run `spec` in `dir`: a new one; the existing one when the spec is the same;
 * with `extend`, the new spec when it only adds grid values or seeds (every existing point stays
 * what it was). Any other change is refused: the existing points would no longer match their spec.
 * With `write` false (a dry run) nothing is written.
 */
export function openSweep(dir: string, spec: SweepSpec, extend: boolean, write = true): { file: SweepFile; added: SweepPoint[] } {
  if (fs.existsSync(path.join(dir, 'config.json'))) throw new SpecError(`${dir} is a run folder, not a sweep folder: choose another --out`);
  const existing = readSweepFile(dir);
  if (!existing) {
    const file = writeSweepFile(dir, spec, undefined, write);
    return { file, added: file.points };
  }
  const diff = specDifference(existing.spec, spec);
  if (diff === '') return { file: existing, added: [] };
  const names = new Set(expandPoints(spec).map((p) => p.name));
  const kept = existing.points.every((p) => names.has(p.name));
  const sameTrain = same(existing.spec.train, spec.train) && same(Object.keys(existing.spec.grid), Object.keys(spec.grid));
  if (!extend || !kept || !sameTrain) {
    const hint = !extend && kept && sameTrain
      ? 'The new spec only adds points: add --extend to run them too'
      : 'Only grid values and seeds can be added to a sweep (with --extend); for anything else choose another --out';
    throw new SpecError(`${dir} holds a sweep of another spec (${diff}). ${hint}.`);
  }
  const before = new Set(existing.points.map((p) => p.name));
  const file = writeSweepFile(dir, spec, existing.created, write);
  return { file, added: file.points.filter((p) => !before.has(p.name)) };
}

/** Where a point stands: not started, started (resume it), or finished. */
export type PointStatus = 'new' | 'started' | 'finished';

/** The status of a point's run folder, from its config.json and checkpoints/state.json. */
export function pointStatus(dir: string, point: SweepPoint): PointStatus {
  const paths = runPaths(pointDir(dir, point));
  if (!fs.existsSync(paths.config)) return 'new';
  readConfig(paths); // throws when the folder holds something else
  return readRunState(paths)?.phase === 'done' ? 'finished' : 'started';
}
