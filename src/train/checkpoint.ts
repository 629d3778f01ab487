// Checkpoint files: safetensors files (see src/safetensors.ts) whose tensors are the named
// float32 arrays (weights `param/…`, optimizer state `optimizer/…`) and whose `__metadata__` holds
// `format: wsr-native-checkpoint`, `version`, and each key of the meta as JSON text. Any
// safetensors reader (PyTorch, NumPy) opens them; written atomically.
import { SafetensorsError, readSafetensors, writeSafetensors } from '../safetensors';

const FORMAT = 'wsr-native-checkpoint';

/** The file extension of checkpoints. */
export const CHECKPOINT_EXTENSION = '.safetensors';
const VERSION = 2;

/** What a checkpoint holds: a JSON-able meta object and named arrays (1-D unless `shapes` says otherwise). */
export interface Checkpoint<Meta = Record<string, unknown>> {
  meta: Meta;
  tensors: Map<string, Float32Array>;
  /** The shape of each tensor, where it has one (written into the file; read back for every tensor). */
  shapes?: Map<string, readonly number[]>;
}

/** Writes a checkpoint atomically (a reader sees the old file or the new one, never a torn one). */
export function writeCheckpoint(file: string, checkpoint: Checkpoint<object>): void {
  const metadata: Record<string, string> = { format: FORMAT, version: String(VERSION) };
  for (const [key, value] of Object.entries(checkpoint.meta)) {
    if (key === 'format' || key === 'version') throw new RangeError(`${file}: the checkpoint meta may not use the key ${key}`);
    metadata[key] = JSON.stringify(value);
  }
  const tensors = [...checkpoint.tensors].map(([name, data]) => ({ name, data, shape: checkpoint.shapes?.get(name) ?? [data.length] }));
  writeSafetensors(file, tensors, metadata);
}

/**
 * Reads a checkpoint written by {@link writeCheckpoint}; throws an error naming the file (and the
 * tensor) when it is not one, is truncated or damaged. With `select`, only the tensors it accepts
 * are read (the others are skipped on disk).
 */
export function readCheckpoint<Meta = Record<string, unknown>>(
  file: string,
  select?: (name: string) => boolean,
): Checkpoint<Meta> & { shapes: Map<string, readonly number[]> } {
  let contents;
  try {
    contents = readSafetensors(file, select);
  } catch (error) {
    if (!(error instanceof SafetensorsError)) throw error;
    if (error.kind === 'truncated') throw new Error(`${file}: checkpoint is truncated (${error.problem})`);
    if (error.kind === 'format') throw new Error(`${file}: not a wsr-native checkpoint (${error.problem})`);
    throw new Error(`${file}: damaged checkpoint (${error.problem})`);
  }
  const { metadata } = contents;
  if (metadata.format !== FORMAT || metadata.version !== String(VERSION)) {
    throw new Error(
      `${file}: not a wsr-native checkpoint (a safetensors file with format ${JSON.stringify(metadata.format ?? null)}, ` +
        `version ${JSON.stringify(metadata.version ?? null)}; expected ${FORMAT} version ${VERSION})`,
    );
  }
  const meta: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(metadata)) {
    if (key === 'format' || key === 'version') continue;
    try {
      meta[key] = JSON.parse(text);
    } catch {
      throw new Error(`${file}: checkpoint metadata ${key} is not JSON`);
    }
  }
  const tensors = new Map<string, Float32Array>();
  const shapes = new Map<string, readonly number[]>();
  for (const [name, t] of contents.tensors) {
    tensors.set(name, t.data);
    shapes.set(name, t.shape);
  }
  return { meta: meta as Meta, tensors, shapes };
}
