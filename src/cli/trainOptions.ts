// The options of `train` and `experiment`, built from the settings table (src/train/settings.ts),
// and the settings they make: the defaults (the dataset's), then an experiment preset, then every
// flag given.
import { Command, Option } from 'commander';
import { DATASETS } from '../data/datasets';
import { AugmentationLevels, TRAINING_AUGMENTATIONS, parseAugmentList } from '../train/augmentations';
import { integer } from '../train/settingKinds';
import { ExperimentPreset, SETTINGS, SettingEntry, TrainSettings, presetSettings, resolveSettings } from '../train/settings';
import { cliParser, pathValue } from './parse';

/** The option values commander collects (undefined: not given). */
export type TrainFlags = Partial<TrainSettings> & {
  /** --augment: the levels it names. */
  augment?: Partial<AugmentationLevels>;
  out?: string;
  resume?: string;
  png?: boolean;
  stopAfterEpochs?: number;
};

/** The flag that sets several augmentation levels at once. */
export const AUGMENT_FLAG = '--augment';

/** Flag name → settings key, for the flags that set one setting. */
export const FLAG_SETTINGS: readonly { flag: string; key: keyof TrainSettings }[] = Object.freeze(
  SETTINGS.filter((e) => e.flag !== null).map((e) => ({ flag: e.flag!.split(' ')[0], key: e.key })),
);

const shown = (v: unknown): string => (v === null ? 'none' : String(v));

/** " (default …)" for an entry's help: its value, or each dataset's where they differ. */
function defaultNote(entry: SettingEntry): string {
  if (entry.flag?.startsWith('--no-')) return '';
  if (entry.defaultHelp) return ` (default: ${entry.defaultHelp})`;
  if (typeof entry.default !== 'function') return ` (default ${shown(entry.default)})`;
  const values = DATASETS.map((d) => ({ name: d.name, value: resolveSettings({ dataset: d.name })[entry.key] }));
  const others = values.filter((v) => v.value !== values[0].value);
  const more = others.map((v) => `; --dataset ${v.name}: ${shown(v.value)}`).join('');
  return ` (default ${shown(values[0].value)}${more})`;
}

function augmentHelp(): string {
  const order = TRAINING_AUGMENTATIONS.map((a) => a.kind).join(', ');
  const levels = TRAINING_AUGMENTATIONS.map((a) => `${a.kind}: ${a.meaning}`).join('; ');
  return (
    `training augmentations as kind=level pairs, e.g. translation=0.25,noise=0.3, applied to every training batch ` +
    `in the order ${order} (validation stays clean). Levels: ${levels}. Names only the levels it sets; none sets all to 0 ` +
    `(default none)`
  );
}

/**
 * Adds the options shared by `train` and `experiment` to `command`: one per setting with a flag,
 * --augment after the augmentation levels, then the run's own (--out, --no-png).
 */
export function addTrainOptions(command: Command): Command {
  const lastAugmentation = TRAINING_AUGMENTATIONS[TRAINING_AUGMENTATIONS.length - 1].key;
  for (const e of SETTINGS as readonly SettingEntry[]) {
    if (e.flag !== null) {
      const option = new Option(e.flag, `${e.help}${defaultNote(e)}`);
      if (!e.flag.startsWith('--no-')) option.argParser(cliParser(e.kind));
      if (option.attributeName() !== e.key) {
        throw new Error(`settings table: the flag ${e.flag} would set '${option.attributeName()}', not the setting '${e.key}'`);
      }
      command.addOption(option);
    }
    if (e.key === lastAugmentation) {
      command.addOption(new Option(`${AUGMENT_FLAG} <list>`, augmentHelp()).argParser(cliParser({ parse: parseAugmentList })));
    }
  }
  return command
    .option('--out <dir>', 'the run folder (default: runs/<UTC timestamp>)', pathValue)
    .option('--no-png', 'write the figures as SVG only')
    .addOption(new Option('--stop-after-epochs <n>', 'stop cleanly after N completed epochs (for tests)').argParser(cliParser(integer(1))).hideHelp());
}

/**
 * The settings values the flags give: one per setting flag, and the levels --augment names.
 * --noise and --augment noise=… must agree when both are given.
 */
export function flagSettings(flags: TrainFlags): Partial<TrainSettings> {
  const given: Partial<Record<keyof TrainSettings, unknown>> = {};
  for (const { key } of FLAG_SETTINGS) if (flags[key] !== undefined) given[key] = flags[key];
  for (const [key, level] of Object.entries(flags.augment ?? {}) as [keyof AugmentationLevels, number][]) {
    const flag = FLAG_SETTINGS.find((f) => f.key === key);
    if (given[key] !== undefined && given[key] !== level && flag) {
      const kind = TRAINING_AUGMENTATIONS.find((a) => a.key === key)!.kind;
      throw new Error(`${flag.flag} ${String(given[key])} and ${AUGMENT_FLAG} ${kind}=${level} disagree: give the level once`);
    }
    given[key] = level;
  }
  return given as Partial<TrainSettings>;
}

/**
 * The settings of a new run: the defaults (the dataset's, the device: the first usable GPU), then
 * `preset` (an experiment's), then every flag given. --cnn-continue-epochs follows --fcn-epochs
 * unless given or fixed by the preset.
 */
export function settingsFromFlags(flags: TrainFlags, preset: ExperimentPreset | null, experiment: number | null): TrainSettings {
  return resolveSettings({ ...flagSettings(flags), experiment }, presetSettings(preset), true);
}
