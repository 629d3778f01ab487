// The points of a sweep: every combination of the grid's values × every seed, each with a stable,
// readable, filesystem-safe name (`noise=0.5,seed=3`), and the settings it runs with, read by
// train's flags (src/train/flags.ts) from the spec's flag names and values.
import { FlagValue, TrainFlagValues, flagText, flagTokens, readFlagEntries } from '../train/flags';
import { SpecError, SweepSpec } from './spec';

/** One point, as sweep.json records it. */
export interface SweepPoint {
  /** The folder name under the sweep folder. */
  name: string;
  /** The varied keys and their values (the seed apart). */
  settings: Record<string, FlagValue>;
  seed: number;
}

/** Characters that stay as they are in a point name; every other byte becomes %XX (so names map back to values). */
const NAME_SAFE = /[A-Za-z0-9._-]/;

function nameEncode(text: string): string {
  let out = '';
  for (const ch of text) out += NAME_SAFE.test(ch) ? ch : [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  return out;
}

/** The folder name of a point: `key=value` for each grid key in order, then `seed=N`, joined by commas. */
export function pointName(settings: Record<string, FlagValue>, seed: number): string {
  const parts = Object.entries(settings).map(([k, v]) => `${k}=${nameEncode(flagText(v))}`);
  parts.push(`seed=${seed}`);
  const name = parts.join(',');
  if (Buffer.byteLength(name) > 200) throw new SpecError(`the point name ${name.slice(0, 60)}… is over 200 bytes: vary fewer keys, or shorter values`);
  return name;
}

/** Every point of `spec`: the grid's product in order (the first key varies slowest), seeds innermost. */
export function expandPoints(spec: SweepSpec): SweepPoint[] {
  let combos: Record<string, FlagValue>[] = [{}];
  for (const [key, values] of Object.entries(spec.grid)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  const points = combos.flatMap((settings) => spec.seeds.map((seed) => ({ name: pointName(settings, seed), settings, seed })));
  if (points.length > 100_000) throw new SpecError(`the sweep has ${points.length} points; at most 100,000`);
  return points;
}

/** The flag values that make `point`: the spec's fixed flags, then the point's grid values, then its seed. */
export function pointEntries(spec: SweepSpec, point: SweepPoint): [string, FlagValue][] {
  return [...Object.entries(spec.train), ...Object.entries(point.settings), ['seed', point.seed]];
}

/** What `point` sets (settings, and the run's own --no-png), read by train's flags; throws naming the point and the flag. */
export function pointValues(spec: SweepSpec, point: SweepPoint): TrainFlagValues {
  return readFlagEntries(pointEntries(spec, point), `point ${point.name}`);
}

/**
 * The train flags of `point` (without --out), as a command line would give them: the spec's fixed
 * flags, then the point's grid values, then --seed. Keys `flag.sub` are joined into one
 * `--flag sub=v,...`, after a whole `flag` value when one is given too (`augment: noise=0.3` and
 * `augment.translation`). Throws for a point whose values train cannot read.
 */
export function pointFlags(spec: SweepSpec, point: SweepPoint): string[] {
  pointValues(spec, point);
  return [...flagTokens([...Object.entries(spec.train), ...Object.entries(point.settings)]), '--seed', String(point.seed)];
}
