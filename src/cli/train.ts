// `wsr-native train`: the paper's two phases with the given settings, or --resume RUN.
import { Command } from 'commander';
import { TrainFlagValues, settingsFromFlags } from '../train/flags';
import { runTrainJob } from '../train/job';
import { defaultRunDir, readConfig, runPaths } from '../train/runFiles';
import { savedSettings } from '../train/settings';
import { CliIO, CommandResult } from './io';
import { pathValue } from './parse';
import { resumeSettings } from './resume';
import { addTrainOptions } from './trainOptions';

type TrainCommandFlags = TrainFlagValues & { resume?: string };

/** Adds the `train` command. */
export function addTrainCommand(program: Command, io: CliIO, result: CommandResult, argv: string[]): void {
  const command = program
    .command('train')
    .description(
      'train the CNN, convert it to a locally connected net (FCN), then train the continued CNN and the FCN side by side',
    )
    .option('--resume <run>', 'continue a stopped run from its last completed epoch, with the settings in its config.json', pathValue);
  addTrainOptions(command);
  command.action(async (flags: TrainCommandFlags, cmd: Command) => {
    const run = { argv, png: flags.png ?? true, stopAfterEpochs: flags.stopAfterEpochs ?? null };
    if (flags.resume !== undefined) {
      const runDir = flags.resume;
      const saved = savedSettings(readConfig(runPaths(runDir)).settings);
      const given = (key: keyof TrainFlagValues): boolean => cmd.getOptionValueSource(key) === 'cli';
      const settings = resumeSettings(runDir, saved, flags, given);
      result.exitCode = await runTrainJob({ ...run, settings, runDir, resume: true }, io);
      return;
    }
    const settings = settingsFromFlags(flags, null, null);
    result.exitCode = await runTrainJob({ ...run, settings, runDir: flags.out ?? defaultRunDir(), resume: false }, io);
  });
}
