// The wsr-native command line: one file per command, assembled here.
import { Command } from 'commander';
import { readFileSync } from 'fs';
import path from 'path';
import { registerBenchCommand } from '../bench/command';
import { packageRoot } from '../native';
import { addAggregateCommand } from './aggregate';
import { addDevicesCommand } from './devices';
import { addDownloadCommand } from './download';
import { addExperimentCommand } from './experiment';
import { addExportCommand } from './export';
import { CliIO, CommandResult } from './io';
import { addReportCommand } from './report';
import { addServeCommand } from './serve';
import { addSweepCommand } from './sweep';
import { addTrainCommand } from './train';

/** The package version from package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * The program with every command. Errors do not exit the process (exitOverride): main() turns
 * them into exit codes. Output goes to `io`.
 */
export function buildProgram(io: CliIO, result: CommandResult, argv: string[]): Command {
  const program = new Command('wsr-native')
    .description('Weight sharing in CNNs: train a CNN, free its weight sharing, and measure what follows')
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .allowExcessArguments(false);
  addTrainCommand(program, io, result, argv);
  addExperimentCommand(program, io, result, argv);
  addSweepCommand(program, io, result);
  addAggregateCommand(program, io);
  addDownloadCommand(program, io);
  addReportCommand(program, io);
  addServeCommand(program, io);
  addExportCommand(program, io);
  addDevicesCommand(program, io);
  registerBenchCommand(program, io);
  return program;
}
