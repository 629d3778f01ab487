// The kinds of value a training setting takes: how one is read from the command line, and what a
// valid one is (for settings that come from config.json or from code, not from a flag).

/** A command-line value that is not valid for its setting; the message is the reason ("must be >= 1."). */
export class SettingValueError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SettingValueError';
  }
}

/** The values of one setting. */
export interface ValueKind<T> {
  /** Reads a command-line value; throws {@link SettingValueError} with the reason. */
  parse(text: string): T;
  /** null when `value` is valid, else why not ("must be an integer >= 1"). */
  problem(value: unknown): string | null;
}

const INTEGER = /^[+]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Whole numbers in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): ValueKind<number> {
  const bounded = max !== Number.MAX_SAFE_INTEGER;
  return {
    parse(text) {
      const v = Number(text);
      if (!INTEGER.test(text.trim()) || !Number.isSafeInteger(v)) throw new SettingValueError(`expected a whole number, got '${text}'.`);
      if (v < min || v > max) throw new SettingValueError(bounded ? `must be between ${min} and ${max}.` : `must be >= ${min}.`);
      return v;
    },
    problem(value) {
      const ok = typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max;
      return ok ? null : bounded ? `must be an integer in [${min}, ${max}]` : `must be an integer >= ${min}`;
    },
  };
}

/** Finite numbers for which `ok` holds; `words` says which ("must be >= 0"). */
export function numberWhere(ok: (v: number) => boolean, words: string): ValueKind<number> {
  return {
    parse(text) {
      const v = Number(text);
      if (!NUMBER.test(text.trim()) || !Number.isFinite(v)) throw new SettingValueError(`expected a number, got '${text}'.`);
      if (!ok(v)) throw new SettingValueError(`${words}.`);
      return v;
    },
    problem(value) {
      return typeof value === 'number' && Number.isFinite(value) && ok(value) ? null : `must be a finite number ${words.replace(/^must be /, '')}`;
    },
  };
}

/** One of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): ValueKind<T> & { choices: readonly T[] } {
  const words = `expected one of ${choices.join(', ')}`;
  return {
    choices,
    parse(text) {
      if (!(choices as readonly string[]).includes(text)) throw new SettingValueError(`${words}.`);
      return text as T;
    },
    problem(value) {
      return (choices as readonly unknown[]).includes(value) ? null : `must be one of ${choices.join(', ')}`;
    },
  };
}

const DEVICE = /^(cpu|cuda|cuda:\d{1,3})$/;

/** 'cpu', 'cuda' or 'cuda:N' (whether the device is usable is checked when the run starts). */
export const deviceKind: ValueKind<string> = {
  parse(text) {
    if (!DEVICE.test(text)) throw new SettingValueError('expected cpu, cuda or cuda:N.');
    return text;
  },
  problem(value) {
    return typeof value === 'string' && DEVICE.test(value) ? null : 'must be cpu, cuda or cuda:N';
  },
};

/** A non-empty path. */
export const pathKind: ValueKind<string> = {
  parse(text) {
    if (text.trim() === '') throw new SettingValueError('expected a path.');
    return text;
  },
  problem(value) {
    return typeof value === 'string' && value.trim() !== '' ? null : 'must be a non-empty path';
  },
};

/** true or false (set by a --no-… flag, which commander handles itself). */
export const booleanKind: ValueKind<boolean> = {
  parse(text) {
    if (text !== 'true' && text !== 'false') throw new SettingValueError('expected true or false.');
    return text === 'true';
  },
  problem(value) {
    return typeof value === 'boolean' ? null : 'must be true or false';
  },
};

/** `kind`'s values or null (the setting's "not set": a default decided elsewhere). */
export function orNull<T>(kind: ValueKind<T>): ValueKind<T | null> {
  return {
    parse: (text) => kind.parse(text),
    problem: (value) => (value === null ? null : kind.problem(value)),
  };
}
