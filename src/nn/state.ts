// Checkpoint state of a model: every parameter (and every locally connected layer's tied kernel)
// by name, as host arrays; validation of a state before it is loaded.
import type { Parameter } from './layers';

/** A tied kernel slot of a locally connected layer: its state name and element count. */
export interface TiedSlot {
  /** '<layer>.tied', e.g. 'lc1.tied'. */
  name: string;
  size: number;
}

/** Realm-independent (arrays read from native tensors may come from another realm, e.g. under jest). */
export function isFloat32Array(value: unknown): value is Float32Array {
  return Object.prototype.toString.call(value) === '[object Float32Array]';
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, 8).map((n) => `'${n}'`);
  return names.length > 8 ? `${shown.join(', ')} and ${names.length - 8} more` : shown.join(', ');
}

/**
 * Checks a state against a model's parameters and tied slots before anything is written: every
 * parameter name must be present, tied names are optional, no other name may appear, and every array
 * must be a Float32Array of the right length. Throws one error naming every problem of the first kind
 * found.
 */
export function checkState(
  state: Map<string, Float32Array>,
  parameters: readonly Parameter[],
  tiedSlots: readonly TiedSlot[],
  what: string,
): void {
  if (!(state instanceof Map)) throw new TypeError(`${what}: state must be a Map<string, Float32Array>`);
  const sizes = new Map<string, number>();
  for (const p of parameters) sizes.set(p.name, p.value.size);
  for (const slot of tiedSlots) sizes.set(slot.name, slot.size);
  const unknown = [...state.keys()].filter((name) => !sizes.has(name));
  if (unknown.length > 0) {
    throw new RangeError(
      `${what}: unknown name(s) ${listNames(unknown)}; this model has ${listNames([...sizes.keys()])}`,
    );
  }
  const missing = parameters.map((p) => p.name).filter((name) => !state.has(name));
  if (missing.length > 0) throw new RangeError(`${what}: missing parameter(s) ${listNames(missing)}`);
  for (const [name, values] of state) {
    if (!isFloat32Array(values)) throw new TypeError(`${what}: '${name}' must be a Float32Array`);
    const expected = sizes.get(name);
    if (values.length !== expected) {
      throw new RangeError(`${what}: '${name}' has ${values.length} values, expected ${expected}`);
    }
  }
}
