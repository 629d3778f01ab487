// A sweep's points are parsed by the real `train` command of the CLI (its options, parsers and
// settings checks), so a bad value fails up front, named by point and flag, before anything runs.
import { Command, CommanderError } from 'commander';
import { buildProgram } from '../cli/program';
import { TrainFlags, settingsFromFlags } from '../cli/trainOptions';
import { checkSettings } from '../train/settings';
import { TrainFlagForms, flagForms } from './points';

/** The `train` command of a program. */
export function findTrainCommand(program: Command): Command {
  const train = program.commands.find((c) => c.name() === 'train');
  if (!train) throw new Error('the program has no train command');
  return train;
}

/** A fresh program's train command, with its action replaced by `onParsed`, and its error output. */
function parsingTrainCommand(onParsed: (flags: TrainFlags) => void): { program: Command; errors: () => string } {
  let errors = '';
  const program = buildProgram({ stdout: { write: () => true }, stderr: { write: (s: string) => (errors += s) } }, { exitCode: 0 }, []);
  program.showHelpAfterError(false);
  const train = findTrainCommand(program);
  train.showHelpAfterError(false).action((flags: TrainFlags) => onParsed(flags));
  return { program, errors: () => errors };
}

/** Train's flags and how each is written (with a value, a switch, negated). */
export function trainFlagForms(): TrainFlagForms {
  return flagForms(findTrainCommand(parsingTrainCommand(() => {}).program).options);
}

/**
 * Parses `train <args>` as the CLI would, then checks the settings it makes; returns null when
 * they are good, else the error (commander's message, or the settings check's).
 */
export async function trainArgsError(args: readonly string[]): Promise<string | null> {
  let flags: TrainFlags | null = null;
  const { program, errors } = parsingTrainCommand((f) => (flags = f));
  try {
    await program.parseAsync(['node', 'wsr-native', 'train', ...args]);
  } catch (error) {
    if (error instanceof CommanderError) return (errors().trim() || error.message).replace(/^error: /, '');
    return (error as Error).message;
  }
  if (flags === null) return 'train did not parse';
  try {
    checkSettings(settingsFromFlags(flags, null, null));
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}
