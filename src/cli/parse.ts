// Parsers of option values. Each throws commander's InvalidArgumentError, which commander turns
// into "error: option '--noise <sigma>' argument '-1' is invalid. <why>" and a non-zero exit.
import { InvalidArgumentError } from 'commander';

const INTEGER = /^[+]?\d+$/;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** An integer parser accepting [min, max]. */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (!INTEGER.test(value.trim()) || !Number.isSafeInteger(v)) throw new InvalidArgumentError(`expected a whole number, got '${value}'.`);
    if (v < min || v > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `must be >= ${min}.` : `must be between ${min} and ${max}.`);
    }
    return v;
  };
}

/** A number parser with a check and the words that describe it ("must be >= 0"). */
export function numberWhere(ok: (v: number) => boolean, words: string): (value: string) => number {
  return (value: string) => {
    const v = Number(value);
    if (!NUMBER.test(value.trim()) || !Number.isFinite(v)) throw new InvalidArgumentError(`expected a number, got '${value}'.`);
    if (!ok(v)) throw new InvalidArgumentError(`${words}.`);
    return v;
  };
}

/** A parser accepting one of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]): (value: string) => T {
  return (value: string) => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${choices.join(', ')}.`);
    return value as T;
  };
}

const DEVICE = /^(cpu|cuda|cuda:\d{1,3})$/;

/** 'cpu', 'cuda' or 'cuda:N' (whether the device is usable is checked when the run starts). */
export function deviceName(value: string): string {
  if (!DEVICE.test(value)) throw new InvalidArgumentError(`expected cpu, cuda or cuda:N.`);
  return value;
}

/** A non-empty path. */
export function pathValue(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a path.');
  return value;
}
