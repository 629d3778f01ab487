// The options of `train`, `experiment` and `sweep`, made from train's flags (src/train/flags.ts,
// themselves made from the settings table), with each setting's default in its help.
import { Command, Option } from 'commander';
import { DATASETS } from '../data/datasets';
import { TRAIN_FLAGS, TrainFlag } from '../train/flags';
import { SettingEntry, resolveSettings } from '../train/settings';
import { cliParser } from './parse';

const shown = (v: unknown): string => (v === null ? 'none' : String(v));

/** " (default …)" for an entry's help: its value, or each dataset's where they differ. */
function defaultNote(entry: SettingEntry | null): string {
  if (entry === null || entry.flag?.startsWith('--no-')) return '';
  if (entry.defaultHelp) return ` (default: ${entry.defaultHelp})`;
  if (typeof entry.default !== 'function') return ` (default ${shown(entry.default)})`;
  const values = DATASETS.map((d) => ({ name: d.name, value: resolveSettings({ dataset: d.name })[entry.key] }));
  const others = values.filter((v) => v.value !== values[0].value);
  const more = others.map((v) => `; --dataset ${v.name}: ${shown(v.value)}`).join('');
  return ` (default ${shown(values[0].value)}${more})`;
}

/** The commander option of `flag`. */
export function trainOption(flag: TrainFlag): Option {
  const option = new Option(flag.option, `${flag.help}${defaultNote(flag.entry)}`);
  if (flag.kind) option.argParser(cliParser(flag.kind));
  if (flag.hidden) option.hideHelp();
  if (option.attributeName() !== flag.attribute) {
    throw new Error(`train flags: ${flag.option} would set '${option.attributeName()}', not '${flag.attribute}'`);
  }
  return option;
}

/** Adds train's options to `command`, but those named in `except` (without dashes). */
export function addTrainOptions(command: Command, except: readonly string[] = []): Command {
  for (const flag of TRAIN_FLAGS) if (!except.includes(flag.name)) command.addOption(trainOption(flag));
  return command;
}
