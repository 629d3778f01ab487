// Parsers of option values, made from the settings' value kinds (src/train/settingKinds.ts). Each
// throws commander's InvalidArgumentError, which commander turns into
// "error: option '--noise <sigma>' argument '-1' is invalid. <why>" and a non-zero exit.
import { InvalidArgumentError } from 'commander';
import { SettingValueError, ValueKind, pathKind } from '../train/settingKinds';

/** A commander argument parser for the values of `kind`. */
export function cliParser<T>(kind: Pick<ValueKind<T>, 'parse'>): (value: string) => T {
  return (value: string) => {
    try {
      return kind.parse(value);
    } catch (error) {
      if (error instanceof SettingValueError) throw new InvalidArgumentError(error.message);
      throw error;
    }
  };
}

/** A non-empty path. */
export const pathValue = cliParser(pathKind);
