// `wsr-native train`: the paper's two phases with the given settings, or --resume RUN.
import { Command } from 'commander';
import { defaultRunDir, readConfig, runPaths } from '../train/runFolder';
import { savedSettings } from '../train/settings';
import { CliIO, CommandResult } from './io';
import { pathValue } from './parse';
import { resumeSettings } from './resume';
import { runTrainCommand } from './runTrain';
import { TrainFlags, addTrainOptions, settingsFromFlags } from './trainOptions';

/** Adds the `train` command. */
export function addTrainCommand(program: Command, io: CliIO, result: CommandResult, argv: string[]): void {
  const command = program
    .command('train')
    .description(
      'train the CNN, convert it to a locally connected net (FCN), then train the continued CNN and the FCN side by side',
    )
    .option('--resume <run>', 'continue a stopped run from its last completed epoch, with the settings in its config.json', pathValue);
  addTrainOptions(command);
  command.action(async (flags: TrainFlags, cmd: Command) => {
    const given = (key: keyof TrainFlags): boolean => cmd.getOptionValueSource(key) === 'cli';
    if (flags.resume !== undefined) {
      const runDir = flags.resume;
      const saved = savedSettings(readConfig(runPaths(runDir)).settings);
      const settings = resumeSettings(runDir, saved, flags, given);
      result.exitCode = await runTrainCommand(io, {
        settings, runDir, resume: true, argv, png: flags.png ?? true, stopAfterEpochs: flags.stopAfterEpochs ?? null,
      });
      return;
    }
    const settings = settingsFromFlags(flags, null, null);
    result.exitCode = await runTrainCommand(io, {
      settings,
      runDir: flags.out ?? defaultRunDir(),
      resume: false,
      argv,
      png: flags.png ?? true,
      stopAfterEpochs: flags.stopAfterEpochs ?? null,
    });
  });
}
