// The points of a sweep: every combination of the grid's values × every seed, each with a stable,
// readable, filesystem-safe name (`noise=0.5,seed=3`) and the train flags that run it.
import { FlagValue, SpecError, SweepSpec } from './spec';

/** One point, as sweep.json records it. */
export interface SweepPoint {
  /** The folder name under the sweep folder. */
  name: string;
  /** The varied keys and their values (the seed apart). */
  settings: Record<string, FlagValue>;
  seed: number;
}

/** How train's flag NAME is written: with a value (`--name V`), as a switch (`--name`), negated (`--no-name`). */
export interface FlagForm {
  value: boolean;
  switch: boolean;
  negated: boolean;
}

/** Train's flags by name (without dashes), from its commander options. */
export type TrainFlagForms = ReadonlyMap<string, FlagForm>;

/** The flag forms of a commander command's options (train's). */
export function flagForms(options: readonly { long?: string; negate: boolean; required: boolean; optional: boolean }[]): TrainFlagForms {
  const forms = new Map<string, FlagForm>();
  for (const o of options) {
    if (!o.long) continue;
    const name = o.negate ? o.long.replace(/^--no-/, '') : o.long.replace(/^--/, '');
    const form = forms.get(name) ?? { value: false, switch: false, negated: false };
    if (o.negate) form.negated = true;
    else if (o.required || o.optional) form.value = true;
    else form.switch = true;
    forms.set(name, form);
  }
  return forms;
}

/** A value as it appears in a name and on the command line. */
export function valueText(v: FlagValue): string {
  return String(v);
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
  const parts = Object.entries(settings).map(([k, v]) => `${k}=${nameEncode(valueText(v))}`);
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

/** The command-line tokens that give train flag `key` the value `value`. */
function flagTokens(key: string, value: FlagValue, forms: TrainFlagForms, where: string): string[] {
  const form = forms.get(key);
  if (!form) throw new SpecError(`${where}: train has no flag --${key} (see wsr-native train --help)`);
  if (typeof value === 'boolean') {
    if (form.negated && !value) return [`--no-${key}`];
    if (form.switch && value) return [`--${key}`];
    if (form.negated || form.switch) return [];
    throw new SpecError(`${where}: --${key} takes a value, not ${value}`);
  }
  if (!form.value) {
    throw new SpecError(`${where}: --${key} is a switch: write ${key}: ${form.negated ? 'false (for --no-' + key + ')' : 'true'}`);
  }
  return [`--${key}`, valueText(value)];
}

/**
 * The train flags of `point` (without --out): the spec's fixed flags, then the point's grid
 * values, then --seed. Keys `flag.sub` are joined into one `--flag sub=v,...`, after the entries
 * of a whole `flag` value when one is given too (`augment: noise=0.3` and `augment.translation`).
 */
export function pointFlags(spec: SweepSpec, point: SweepPoint, forms: TrainFlagForms): string[] {
  const where = `point ${point.name}`;
  const entries: [string, FlagValue][] = [...Object.entries(spec.train), ...Object.entries(point.settings)];
  const composed = new Map<string, string[]>();
  for (const [key, value] of entries) {
    const dot = key.indexOf('.');
    if (dot < 0) continue;
    const flag = key.slice(0, dot);
    if (!forms.get(flag)?.value) throw new SpecError(`${where}: ${key}: train has no flag --${flag} that takes k=v entries`);
    if (typeof value === 'boolean') throw new SpecError(`${where}: ${key}: expected a value, got ${value}`);
    composed.set(flag, [...(composed.get(flag) ?? []), `${key.slice(dot + 1)}=${valueText(value)}`]);
  }
  const tokens: string[] = [];
  for (const [key, value] of entries) {
    if (key.includes('.')) continue;
    const parts = composed.get(key);
    if (parts) composed.set(key, [valueText(value), ...parts]);
    else tokens.push(...flagTokens(key, value, forms, `${where}: ${key}`));
  }
  for (const [flag, list] of composed) tokens.push(`--${flag}`, list.join(','));
  tokens.push('--seed', String(point.seed));
  return tokens;
}
