// `train --resume RUN`: the run's own settings, with only the flags that cannot change its results
// (the settings table's resumable ones) allowed to differ, and no other run folder named by --out.
import path from 'path';
import { TrainFlagValues, flagSettings, resumedSettings } from '../train/flags';
import { TrainSettings } from '../train/settings';

/**
 * The settings of a resumed run: those in its config.json, with the resumable ones (--device,
 * --threads, --data-dir) taken from the flags when given. Any other flag given with a different
 * value is refused (the error names each flag, its value and the run's).
 * @param given whether a flag was given on the command line (not a default)
 */
export function resumeSettings(
  runDir: string,
  saved: TrainSettings,
  flags: TrainFlagValues,
  given: (key: keyof TrainFlagValues) => boolean,
): TrainSettings {
  const givenFlags: TrainFlagValues = {};
  for (const key of Object.keys(flags) as (keyof TrainFlagValues)[]) {
    if (given(key)) (givenFlags as Record<string, unknown>)[key] = flags[key];
  }
  const outConflict = given('out') && path.resolve(flags.out!) !== path.resolve(runDir) ? [`--out ${flags.out} (the run folder is ${runDir})`] : [];
  return resumedSettings(runDir, saved, flagSettings(givenFlags), outConflict);
}
