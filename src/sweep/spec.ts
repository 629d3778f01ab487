// A sweep's specification: a grid of `train` flag values × seeds, over fixed train flags. The keys
// are train's own flag names (without the dashes), read by train's own flag table, so every train
// flag works in a sweep unchanged and means what it means on the command line. A key `flag.sub`
// sets one entry of a `k=v,...` flag (`augment.translation: [0, 0.25]` → `--augment translation=0.25`).
import fs from 'fs';
import path from 'path';
import YAML from 'yaml';
import type { FlagValue } from '../train/flags';

/** The resolved specification, as sweep.json records it. */
export interface SweepSpec {
  /** Varied flags, in order (the first varies slowest): flag name → its values. */
  grid: Record<string, FlagValue[]>;
  /** Every point runs once per seed (`--seed`). */
  seeds: number[];
  /** Fixed train flags of every point: flag name → value. */
  train: Record<string, FlagValue>;
}

/** Thrown for a specification that cannot be run; the message names the key or value. */
export class SpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecError';
  }
}

/** Flags a sweep sets itself. */
export const SWEEP_OWNED_FLAGS: readonly string[] = ['out', 'resume', 'seed'];

const MAX_SEED = 0xffffffff;

/** Seeds from `1-5`, `1,3,7`, `1-3,10` (a string), a number, or a list of numbers. */
export function parseSeeds(value: unknown, where = 'seeds'): number[] {
  const one = (v: unknown): number[] => {
    if (typeof v === 'number') return [v];
    if (typeof v !== 'string') throw new SpecError(`${where}: expected seeds such as 1-5 or 1,2,3, got ${JSON.stringify(v)}`);
    return v.split(',').flatMap((part) => {
      const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
      if (!m) throw new SpecError(`${where}: '${part.trim()}' is not a seed or a range (such as 1-5)`);
      const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
      if (to < from) throw new SpecError(`${where}: the range ${part.trim()} runs backwards`);
      if (to - from >= 10_000) throw new SpecError(`${where}: the range ${part.trim()} holds over 10,000 seeds`);
      return Array.from({ length: to - from + 1 }, (_, i) => from + i);
    });
  };
  const seeds = (Array.isArray(value) ? value : [value]).flatMap(one);
  for (const s of seeds) {
    if (!Number.isInteger(s) || s < 0 || s > MAX_SEED) throw new SpecError(`${where}: a seed must be a whole number in [0, 2^32), got ${s}`);
  }
  if (seeds.length === 0) throw new SpecError(`${where}: no seeds`);
  const dup = seeds.find((s, i) => seeds.indexOf(s) !== i);
  if (dup !== undefined) throw new SpecError(`${where}: seed ${dup} is listed twice`);
  return seeds;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A value as typed on the command line: numbers and true/false become typed, so names are canonical (0.50 → 0.5). */
export function typedValue(text: string): FlagValue {
  const t = text.trim();
  if (NUMERIC.test(t) && Number.isFinite(Number(t))) return Number(t);
  if (t === 'true' || t === 'false') return t === 'true';
  return t;
}

function checkValue(v: unknown, where: string): FlagValue {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new SpecError(`${where}: ${v} is not a finite number`);
    return v;
  }
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (v.trim() === '' || /[\n\r\0]/.test(v)) throw new SpecError(`${where}: ${JSON.stringify(v)} is empty or holds a line break`);
    return v;
  }
  throw new SpecError(`${where}: expected a number, a string or true/false, got ${JSON.stringify(v)}`);
}

function checkKey(key: string, where: string): void {
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9_-]+)?$/i.test(key)) throw new SpecError(`${where}: '${key}' is not a train flag name (write it without dashes, as in cnn-epochs)`);
  if (SWEEP_OWNED_FLAGS.includes(key)) {
    throw new SpecError(
      key === 'seed' ? `${where}: give seeds as seeds (such as seeds: 1-5), not as --seed` : `${where}: --${key} is set by the sweep for each point`,
    );
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A spec from parsed YAML or JSON (`source` names it in errors): { grid, seeds, train }. */
export function specFromObject(value: unknown, source: string): SweepSpec {
  if (!isRecord(value)) throw new SpecError(`${source}: expected a mapping with grid, seeds and train`);
  for (const key of Object.keys(value)) {
    if (!['grid', 'seeds', 'train'].includes(key)) throw new SpecError(`${source}: unknown key '${key}' (expected grid, seeds and train)`);
  }
  const grid: Record<string, FlagValue[]> = {};
  if (value.grid !== undefined && value.grid !== null) {
    if (!isRecord(value.grid)) throw new SpecError(`${source}: grid must map train flags to lists of values`);
    for (const [key, values] of Object.entries(value.grid)) {
      const where = `${source}: grid.${key}`;
      checkKey(key, where);
      const list = Array.isArray(values) ? values : [values];
      if (list.length === 0) throw new SpecError(`${where}: no values`);
      grid[key] = list.map((v, i) => checkValue(v, `${where}[${i}]`));
    }
  }
  const train: Record<string, FlagValue> = {};
  if (value.train !== undefined && value.train !== null) {
    if (!isRecord(value.train)) throw new SpecError(`${source}: train must map train flags to values`);
    for (const [key, v] of Object.entries(value.train)) {
      checkKey(key, `${source}: train.${key}`);
      train[key] = checkValue(v, `${source}: train.${key}`);
    }
  }
  const seeds = value.seeds === undefined ? [0] : parseSeeds(value.seeds, `${source}: seeds`);
  return checkSpec({ grid, seeds, train }, source);
}

/** Checks a spec as a whole: no key both varied and fixed, no repeated values. */
export function checkSpec(spec: SweepSpec, source: string): SweepSpec {
  for (const [key, values] of Object.entries(spec.grid)) {
    if (key in spec.train) throw new SpecError(`${source}: ${key} is both in the grid and fixed in train`);
    const seen = new Set<string>();
    for (const v of values) {
      const id = JSON.stringify(v);
      if (seen.has(id)) throw new SpecError(`${source}: grid.${key} lists ${id} twice`);
      seen.add(id);
    }
  }
  return spec;
}

/** Reads a spec file: JSON (.json) or YAML (anything else; JSON is YAML too). */
export function readSpecFile(file: string): SweepSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new SpecError(`${file}: cannot read the sweep spec (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new SpecError(`${file}: not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`);
  }
  return specFromObject(value, file);
}

/** `--grid noise=0,0.3,0.5` → ['noise', [0, 0.3, 0.5]]. */
export function parseGridFlag(text: string): [string, FlagValue[]] {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new SpecError(`--grid ${text}: expected KEY=V1,V2,... (such as noise=0,0.5)`);
  const key = text.slice(0, eq).trim().replace(/^--/, '');
  checkKey(key, `--grid ${text}`);
  const values = text.slice(eq + 1).split(',').map((v) => checkValue(typedValue(v), `--grid ${text}`));
  return [key, values];
}

/** The spec file's, with the command line's grid keys, seeds and train flags over it. */
export function mergeSpecs(file: SweepSpec | null, grid: [string, FlagValue[]][], seeds: number[] | null, train: Record<string, FlagValue>): SweepSpec {
  const spec: SweepSpec = { grid: { ...(file?.grid ?? {}) }, seeds: seeds ?? file?.seeds ?? [0], train: { ...(file?.train ?? {}) } };
  for (const [key, values] of grid) {
    delete spec.train[key]; // a flag varied on the command line is no longer fixed
    spec.grid[key] = values;
  }
  for (const [key, value] of Object.entries(train)) {
    if (key in spec.grid) delete spec.grid[key]; // a flag given on the command line fixes what the file varied
    spec.train[key] = value;
  }
  return checkSpec(spec, 'the sweep');
}
