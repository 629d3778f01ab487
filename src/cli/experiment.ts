// `wsr-native experiment N`: the published experiments' epochs, noise and patience; flags override.
import { Command, InvalidArgumentError } from 'commander';
import { defaultRunDir } from '../train/runFiles';
import { EXPERIMENT_IDS, EXPERIMENT_PRESETS, ExperimentPreset, TrainSettings, presetSettings } from '../train/settings';
import { FLAG_SETTINGS, TrainFlagValues, settingsFromFlags } from '../train/flags';
import { runTrainJob } from '../train/job';
import { CliIO, CommandResult } from './io';
import { addTrainOptions } from './trainOptions';

function experimentId(value: string): 0 | 1 | 2 | 3 {
  const id = Number(value);
  if (!/^\d$/.test(value) || !(EXPERIMENT_IDS as number[]).includes(id)) {
    throw new InvalidArgumentError(`expected one of ${EXPERIMENT_IDS.join(', ')}.`);
  }
  return id as 0 | 1 | 2 | 3;
}

/** " (overridden: --cnn-epochs 20, ...)" for the preset values the flags changed, else "". */
function overridesNote(preset: ExperimentPreset, settings: TrainSettings): string {
  // In the preset's own order; its null cnnContinueEpochs means "as --fcn-epochs": compare with what that became.
  const values: Partial<TrainSettings> = { cnnContinueEpochs: settings.fcnEpochs, ...presetSettings(preset) };
  const keys = Object.keys(preset).filter((k): k is keyof TrainSettings => k in values);
  const changed = keys
    .filter((key) => settings[key] !== values[key])
    .map((key) => `${FLAG_SETTINGS.find((f) => f.key === key)!.flag} ${settings[key]}`);
  return changed.length > 0 ? ` (overridden: ${changed.join(', ')})` : '';
}

/** Adds the `experiment` command. */
export function addExperimentCommand(program: Command, io: CliIO, result: CommandResult, argv: string[]): void {
  const list = EXPERIMENT_IDS.map((id) => `  ${id}: ${EXPERIMENT_PRESETS[id].description}`).join('\n');
  const command = program
    .command('experiment')
    .description("run one of the paper's CIFAR-10 experiments (PROTOCOL.md); every flag overrides the preset")
    .argument('<id>', `the experiment:\n${list}`, experimentId)
    .addHelpText('after', `\nExperiments:\n${list}`);
  addTrainOptions(command);
  command.action(async (id: 0 | 1 | 2 | 3, flags: TrainFlagValues) => {
    const preset = EXPERIMENT_PRESETS[id];
    const settings = settingsFromFlags(flags, preset, id);
    io.stderr.write(`experiment ${id}: ${preset.description}${overridesNote(preset, settings)}\n`);
    result.exitCode = await runTrainJob(
      { settings, runDir: flags.out ?? defaultRunDir(), resume: false, argv, png: flags.png ?? true, stopAfterEpochs: flags.stopAfterEpochs ?? null },
      io,
    );
  });
}
