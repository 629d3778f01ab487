// The flags of `train`, made from the settings table: one per setting that has one, --augment
// after the augmentation levels, then the run's own (--out, --no-png). The CLI builds its options
// from them and a sweep reads its points' values with them, so a flag means the same thing typed
// on a command line or written in a sweep spec, and its errors read the same.
import { AugmentationLevels, TRAINING_AUGMENTATIONS, parseAugmentList } from './augmentations';
import { SettingValueError, ValueKind, integer, pathKind } from './settingKinds';
import { ExperimentPreset, RESUMABLE_KEYS, SETTINGS, SettingEntry, TrainSettings, presetSettings, resolveSettings } from './settings';

/** The values the flags give (undefined: not given), keyed as commander keys its options. */
export type TrainFlagValues = Partial<TrainSettings> & {
  /** --augment: the levels it names. */
  augment?: Partial<AugmentationLevels>;
  /** --out: the run folder. */
  out?: string;
  /** --no-png: false writes the figures as SVG only. */
  png?: boolean;
  /** --stop-after-epochs: stop cleanly after N completed epochs (for tests). */
  stopAfterEpochs?: number;
};

/** One flag of `train`. */
export interface TrainFlag {
  /** In commander's notation: '--noise <sigma>', '--no-robustness'. */
  option: string;
  /** The long name without dashes or `no-`: 'noise', 'robustness'. */
  name: string;
  /** 'value': `--name V`; 'negated': `--no-name` sets false. */
  form: 'value' | 'negated';
  /** The key of {@link TrainFlagValues} it sets. */
  attribute: keyof TrainFlagValues;
  /** How a value is read (value flags). */
  kind: Pick<ValueKind<unknown>, 'parse'> | null;
  /** The settings entry it sets, if it sets exactly one (for --help's default). */
  entry: SettingEntry | null;
  help: string;
  /** Left out of --help (test-only flags). */
  hidden: boolean;
}

/** The flag that sets several augmentation levels at once. */
export const AUGMENT_FLAG = '--augment';

function augmentHelp(): string {
  const order = TRAINING_AUGMENTATIONS.map((a) => a.kind).join(', ');
  const levels = TRAINING_AUGMENTATIONS.map((a) => `${a.kind}: ${a.meaning}`).join('; ');
  return (
    `training augmentations as kind=level pairs, e.g. translation=0.25,noise=0.3, applied to every training batch ` +
    `in the order ${order} (validation stays clean). Levels: ${levels}. Names only the levels it sets; none sets all to 0 ` +
    `(default none)`
  );
}

function flagOf(option: string, attribute: keyof TrainFlagValues, rest: Pick<TrainFlag, 'kind' | 'entry' | 'help'> & { hidden?: boolean }): TrainFlag {
  const long = option.split(' ')[0];
  const negated = long.startsWith('--no-');
  return { option, name: long.replace(/^--(no-)?/, ''), form: negated ? 'negated' : 'value', attribute, hidden: false, ...rest };
}

function buildFlags(): TrainFlag[] {
  const lastAugmentation = TRAINING_AUGMENTATIONS[TRAINING_AUGMENTATIONS.length - 1].key;
  const flags: TrainFlag[] = [];
  for (const e of SETTINGS as readonly SettingEntry[]) {
    if (e.flag !== null) {
      flags.push(flagOf(e.flag, e.key, { kind: e.flag.startsWith('--no-') ? null : (e.kind as ValueKind<unknown>), entry: e, help: e.help }));
    }
    if (e.key === lastAugmentation) flags.push(flagOf(`${AUGMENT_FLAG} <list>`, 'augment', { kind: { parse: parseAugmentList }, entry: null, help: augmentHelp() }));
  }
  flags.push(
    flagOf('--out <dir>', 'out', { kind: pathKind, entry: null, help: 'the run folder (default: runs/<UTC timestamp>)' }),
    flagOf('--no-png', 'png', { kind: null, entry: null, help: 'write the figures as SVG only' }),
    flagOf('--stop-after-epochs <n>', 'stopAfterEpochs', { kind: integer(1), entry: null, help: 'stop cleanly after N completed epochs (for tests)', hidden: true }),
  );
  return flags;
}

/** The flags of `train`, in --help order. */
export const TRAIN_FLAGS: readonly TrainFlag[] = Object.freeze(buildFlags());

/** Flag name → settings key, for the flags that set one setting. */
export const FLAG_SETTINGS: readonly { flag: string; key: keyof TrainSettings }[] = Object.freeze(
  SETTINGS.filter((e) => e.flag !== null).map((e) => ({ flag: e.flag!.split(' ')[0], key: e.key })),
);

/** The flag named `name` (without dashes), or undefined. */
export function trainFlag(name: string): TrainFlag | undefined {
  return TRAIN_FLAGS.find((f) => f.name === name);
}

/**
 * The settings values the flags give: one per setting flag, and the levels --augment names.
 * --noise and --augment noise=… must agree when both are given.
 */
export function flagSettings(flags: TrainFlagValues): Partial<TrainSettings> {
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
export function settingsFromFlags(flags: TrainFlagValues, preset: ExperimentPreset | null, experiment: number | null): TrainSettings {
  return resolveSettings({ ...flagSettings(flags), experiment }, presetSettings(preset), true);
}

/** How a setting given with `value` is written as a flag: '--noise 0.3', '--no-robustness', '--augment rotation=10'. */
export function flagPhrase(key: keyof TrainSettings, value: unknown): string {
  const own = TRAIN_FLAGS.find((f) => f.entry?.key === key);
  if (own) return own.form === 'negated' ? `--no-${own.name}` : `${own.option.split(' ')[0]} ${String(value)}`;
  const augmentation = TRAINING_AUGMENTATIONS.find((a) => a.key === key);
  if (augmentation) return `${AUGMENT_FLAG} ${augmentation.kind}=${String(value)}`;
  return `${key} = ${JSON.stringify(value)}`;
}

/**
 * The settings of a resumed run: `saved` (its config.json's), with the resumable ones (where it runs
 * and reads its data) taken from `given`. Any other setting given with a different value is
 * refused: the error names each as a flag, with its value and the run's.
 */
export function resumedSettings(runDir: string, saved: TrainSettings, given: Partial<TrainSettings>, extraConflicts: readonly string[] = []): TrainSettings {
  const conflicts: string[] = [];
  for (const [key, value] of Object.entries(given) as [keyof TrainSettings, unknown][]) {
    if (value === undefined || RESUMABLE_KEYS.includes(key) || value === saved[key]) continue;
    conflicts.push(`${flagPhrase(key, value)} (the run has ${key} = ${JSON.stringify(saved[key])})`);
  }
  conflicts.push(...extraConflicts);
  if (conflicts.length > 0) {
    const resumable = RESUMABLE_KEYS.map((k) => FLAG_SETTINGS.find((f) => f.key === k)!.flag);
    throw new Error(
      `--resume continues ${runDir} with the settings in its config.json; these flags conflict with them: ` +
        `${conflicts.join('; ')}. Only ${resumable.join(', ')} may change.`,
    );
  }
  const resumed: Record<string, unknown> = { ...saved };
  for (const key of RESUMABLE_KEYS) if (given[key] !== undefined) resumed[key] = given[key];
  return resumed as unknown as TrainSettings;
}

/** A flag's value as written in a sweep spec: text, a number, or true/false for a switch. */
export type FlagValue = string | number | boolean;

/** Thrown for a flag value that cannot be read; the message names the flag and the value. */
export class FlagValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagValueError';
  }
}

/** A value as it appears on the command line. */
export function flagText(value: FlagValue): string {
  return String(value);
}

/**
 * The values of `entries` (flag name without dashes → value, in order), read as the command line
 * reads them: `robustness: false` is --no-robustness, `augment.translation: 0.25` one entry of
 * --augment (joined after a whole `augment` value). `where` prefixes errors ('point seed=1').
 */
export function readFlagEntries(entries: readonly (readonly [string, FlagValue])[], where: string): TrainFlagValues {
  const values: Record<string, unknown> = {};
  const augmentParts: string[] = [];
  let augmentWhole: string | null = null;
  for (const [key, value] of entries) {
    const dot = key.indexOf('.');
    const name = dot < 0 ? key : key.slice(0, dot);
    const flag = trainFlag(name);
    if (!flag) throw new FlagValueError(`${where}: ${key}: train has no flag --${name} (see wsr-native train --help)`);
    if (dot >= 0) {
      if (flag.attribute !== 'augment') throw new FlagValueError(`${where}: ${key}: train has no flag --${name} that takes k=v entries`);
      if (typeof value === 'boolean') throw new FlagValueError(`${where}: ${key}: expected a value, got ${value}`);
      augmentParts.push(`${key.slice(dot + 1)}=${flagText(value)}`);
      continue;
    }
    if (flag.form === 'negated') {
      if (typeof value !== 'boolean') throw new FlagValueError(`${where}: ${key}: --${name} is a switch: write ${key}: false (for --no-${name})`);
      if (!value) values[flag.attribute] = false;
      continue;
    }
    if (typeof value === 'boolean') throw new FlagValueError(`${where}: ${key}: --${name} takes a value, not ${value}`);
    if (flag.attribute === 'augment') augmentWhole = flagText(value);
    else values[flag.attribute] = readValue(flag, flagText(value), where);
  }
  if (augmentWhole !== null || augmentParts.length > 0) {
    const text = [...(augmentWhole !== null ? [augmentWhole] : []), ...augmentParts].join(',');
    values.augment = readValue(trainFlag('augment')!, text, where);
  }
  return values as TrainFlagValues;
}

/** `text` read by `flag`'s kind; a bad value is named as commander names it on the command line. */
function readValue(flag: TrainFlag, text: string, where: string): unknown {
  try {
    return flag.kind!.parse(text);
  } catch (error) {
    if (error instanceof SettingValueError) throw new FlagValueError(`${where}: option '${flag.option}' argument '${text}' is invalid. ${error.message}`);
    throw error;
  }
}

/** The command-line tokens of `entries`, as `readFlagEntries` reads them: for logs and people. */
export function flagTokens(entries: readonly (readonly [string, FlagValue])[]): string[] {
  const augment: string[] = [];
  const tokens: string[] = [];
  for (const [key, value] of entries) {
    const dot = key.indexOf('.');
    if (key === 'augment') augment.unshift(flagText(value)); // a whole value first, its k=v entries after
    else if (dot >= 0) augment.push(`${key.slice(dot + 1)}=${flagText(value)}`);
    if (key === 'augment' || dot >= 0) continue;
    const flag = trainFlag(key);
    if (flag?.form === 'negated') {
      if (value === false) tokens.push(`--no-${key}`);
    } else tokens.push(`--${key}`, flagText(value));
  }
  if (augment.length > 0) tokens.push(AUGMENT_FLAG, augment.join(','));
  return tokens;
}
