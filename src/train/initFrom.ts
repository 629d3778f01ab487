// `train --init-from FILE`: the CNN starts from weights in a safetensors file (exported by
// `wsr-native export`, or saved from PyTorch under the same names and layouts), checked strictly
// against the network: every tensor it needs, none it does not know, each of its exact shape.
import { createHash } from 'crypto';
import fs from 'fs';
import { Sequential } from '../nn/model';
import { hasParameters, planNetwork } from '../nn/plan';
import { NetworkSpec } from '../nn/spec';
import { SafetensorsEntry, parseSafetensors, readSafetensorsHeader } from '../safetensors';

/** What config.json records about the file a run started from. */
export interface InitFromRecord {
  /** Absolute path. */
  path: string;
  sha256: string;
  /** Tensors loaded. */
  tensors: number;
}

/** The tensors of a network's state: required (weights and biases) and optional (tied kernels). */
function stateShapes(spec: NetworkSpec): { required: Map<string, number[]>; optional: Map<string, number[]> } {
  const required = new Map<string, number[]>();
  const optional = new Map<string, number[]>();
  for (const plan of planNetwork(spec).filter(hasParameters)) {
    required.set(`${plan.name}.weight`, plan.weightShape);
    required.set(`${plan.name}.bias`, plan.biasShape);
    if (plan.kind === 'local') optional.set(`${plan.name}.tied`, plan.weightShape.slice(2));
  }
  return { required, optional };
}

const shown = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** Throws one error naming every tensor that is missing, unexpected, of another shape or not float32. */
function checkFits(file: string, entries: readonly Pick<SafetensorsEntry, 'name' | 'dtype' | 'shape'>[], spec: NetworkSpec): void {
  const { required, optional } = stateShapes(spec);
  const problems: string[] = [];
  const present = new Set(entries.map((e) => e.name));
  for (const [name, shape] of required) if (!present.has(name)) problems.push(`missing ${name} ${shown(shape)}`);
  for (const e of entries) {
    const want = required.get(e.name) ?? optional.get(e.name);
    if (!want) problems.push(`unexpected ${e.name} ${shown(e.shape)}`);
    else if (e.shape.length !== want.length || e.shape.some((d, i) => d !== want[i])) {
      problems.push(`${e.name} is ${shown(e.shape)}, the network needs ${shown(want)}`);
    } else if (e.dtype !== 'F32') problems.push(`${e.name} is ${e.dtype}, float32 (F32) is needed`);
  }
  if (problems.length > 0) {
    const expected = [...required].map(([name, shape]) => `${name} ${shown(shape)}`).join(', ');
    throw new Error(`--init-from ${file} does not fit the network ${spec.name}: ${problems.join('; ')}. It needs exactly: ${expected}`);
  }
}

/** Checks, from its header alone, that `file` is a safetensors file with exactly the tensors `spec` needs. */
export function checkInitFile(file: string, spec: NetworkSpec): void {
  if (!fs.existsSync(file)) throw new Error(`--init-from ${file}: no such file`);
  checkFits(file, readSafetensorsHeader(file).entries, spec);
}

/**
 * Loads the weights in `file` into `model` (checked as {@link checkInitFile} does) and returns what
 * config.json records. With `recorded` (a run resumed before its first epoch), the file must be the
 * one the run started with: same SHA-256.
 */
export function initModelFrom(model: Sequential, file: string, recorded: InitFromRecord | null): InitFromRecord {
  if (!fs.existsSync(file)) throw new Error(`--init-from ${file}: no such file`);
  const bytes = fs.readFileSync(file);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (recorded && recorded.sha256 !== sha256) {
    throw new Error(`--init-from ${file} changed since the run started (SHA-256 ${recorded.sha256} in config.json, now ${sha256})`);
  }
  const { tensors } = parseSafetensors(bytes, file);
  checkFits(file, [...tensors].map(([name, t]) => ({ name, shape: t.shape, dtype: 'F32' })), model.spec);
  model.loadState(new Map([...tensors].map(([name, t]) => [name, t.data])));
  return { path: file, sha256, tensors: tensors.size };
}
