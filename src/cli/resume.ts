// `train --resume RUN`: the run's own settings, with only the flags that cannot change its results
// (the settings table's resumable ones) allowed to differ.
import path from 'path';
import { AugmentationLevels, TRAINING_AUGMENTATIONS } from '../train/augmentations';
import { RESUMABLE_KEYS, TrainSettings } from '../train/settings';
import { AUGMENT_FLAG, FLAG_SETTINGS, TrainFlags } from './trainOptions';

export { RESUMABLE_KEYS };

/**
 * The settings of a resumed run: those in its config.json, with the resumable ones (--device,
 * --threads, --data-dir) taken from the flags when given. Any other flag given with a different
 * value is refused (the error names each flag, its value and the run's).
 * @param given whether a flag was given on the command line (not a default)
 */
export function resumeSettings(
  runDir: string,
  saved: TrainSettings,
  flags: TrainFlags,
  given: (key: keyof TrainFlags) => boolean,
): TrainSettings {
  const conflicts: string[] = [];
  for (const { flag, key } of FLAG_SETTINGS) {
    if (!given(key) || RESUMABLE_KEYS.includes(key)) continue;
    const value = flags[key];
    if (value !== saved[key]) {
      const shown = key === 'robustness' ? flag : `${flag} ${String(value)}`;
      conflicts.push(`${shown} (the run has ${key} = ${JSON.stringify(saved[key])})`);
    }
  }
  if (given('augment')) {
    for (const [key, level] of Object.entries(flags.augment ?? {}) as [keyof AugmentationLevels, number][]) {
      const kind = TRAINING_AUGMENTATIONS.find((a) => a.key === key)!.kind;
      if (level !== saved[key]) conflicts.push(`${AUGMENT_FLAG} ${kind}=${level} (the run has ${key} = ${JSON.stringify(saved[key])})`);
    }
  }
  if (given('out') && path.resolve(flags.out!) !== path.resolve(runDir)) {
    conflicts.push(`--out ${flags.out} (the run folder is ${runDir})`);
  }
  if (conflicts.length > 0) {
    const resumable = RESUMABLE_KEYS.map((k) => FLAG_SETTINGS.find((f) => f.key === k)!.flag);
    throw new Error(
      `--resume continues ${runDir} with the settings in its config.json; these flags conflict with them: ` +
        `${conflicts.join('; ')}. Only ${resumable.join(', ')} may change.`,
    );
  }
  const resumed: Record<string, unknown> = { ...saved };
  for (const key of RESUMABLE_KEYS) if (flags[key] !== undefined) resumed[key] = flags[key];
  return resumed as unknown as TrainSettings;
}
