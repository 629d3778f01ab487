// `wsr-native export RUN`: one model's weights as a safetensors file PyTorch and NumPy load.
import { Command, InvalidArgumentError } from 'commander';
import { ExportEpoch, exportWeights } from '../weights/export';
import { CliIO } from './io';
import { integer, oneOf } from '../train/settingKinds';
import { cliParser, pathValue } from './parse';

interface ExportFlags {
  out?: string;
  model: 'cnn' | 'fcn';
  epoch: ExportEpoch;
  materialize?: boolean;
}

function epochValue(value: string): ExportEpoch {
  if (value === 'best' || value === 'last') return value;
  try {
    return cliParser(integer(1))(value);
  } catch {
    throw new InvalidArgumentError(`expected best, last or an epoch number, got '${value}'.`);
  }
}

/** Adds the `export` command. */
export function addExportCommand(program: Command, io: CliIO): void {
  program
    .command('export')
    .description("write a model's weights from a run as a safetensors file (names and layouts: docs/weights.md)")
    .argument('<run>', 'the run folder', pathValue)
    .option('--out <file>', 'the file to write (default: <run>/export/<model>-e<epoch>.safetensors)', pathValue)
    .option('--model <name>', 'cnn or fcn', cliParser(oneOf(['cnn', 'fcn'] as const)), 'cnn')
    .option('--epoch <which>', "best (the best validation epoch of the model's phase or branch), last, or an epoch number still kept", epochValue, 'best')
    .option('--materialize', "also write each low-rank layer's mixed banks and biases as lc<i>.weight and lc<i>.bias")
    .action((run: string, flags: ExportFlags) => {
      const r = exportWeights(run, { model: flags.model, epoch: flags.epoch, out: flags.out, materialize: flags.materialize ?? false });
      io.stderr.write(`${flags.model} at epoch ${r.epoch} (${r.checkpoint}): ${r.tensors} tensors, ${r.parameters.toLocaleString('en-US')} parameters\n`);
      io.stdout.write(`${r.file}\n`);
    });
}
