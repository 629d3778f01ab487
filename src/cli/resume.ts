// `train --resume RUN`: the run's own settings, with only the flags that cannot change its results
// allowed to differ.
import path from 'path';
import { TrainSettings } from '../train/settings';
import { FLAG_SETTINGS, TrainFlags } from './trainOptions';

/** The settings a resumed run may change: where it runs and where its data is read from (checked by checksum). */
export const RESUMABLE_KEYS: readonly (keyof TrainSettings)[] = ['device', 'threads', 'dataDir'];

/**
 * The settings of a resumed run: those in its config.json, with --device, --threads and
 * --data-dir taken from the flags when given. Any other flag given with a different value is
 * refused (the error names each flag, its value and the run's).
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
  if (given('out') && path.resolve(flags.out!) !== path.resolve(runDir)) {
    conflicts.push(`--out ${flags.out} (the run folder is ${runDir})`);
  }
  if (conflicts.length > 0) {
    throw new Error(
      `--resume continues ${runDir} with the settings in its config.json; these flags conflict with them: ` +
        `${conflicts.join('; ')}. Only ${RESUMABLE_KEYS.map((k) => FLAG_SETTINGS.find((f) => f.key === k)!.flag).join(', ')} may change.`,
    );
  }
  return {
    ...saved,
    device: flags.device ?? saved.device,
    threads: flags.threads ?? saved.threads,
    dataDir: flags.dataDir ?? saved.dataDir,
  };
}
