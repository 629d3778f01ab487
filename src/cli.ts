#!/usr/bin/env node
// The wsr-native command line: `npx wsr-native train --noise 0.5`, `experiment N`, `download`,
// `report RUN`, `devices`. The commands live in src/cli/.
import { CommanderError } from 'commander';
import { CliIO, CommandResult } from './cli/io';
import { EXIT, processStreams } from './train/job';
import { buildProgram } from './cli/program';

/**
 * Runs the command line `argv` (as process.argv: node, script, then arguments) and returns the exit
 * code; never exits the process. Results go to io.stdout, progress and errors to io.stderr.
 */
export async function main(argv: string[], io: CliIO = processStreams()): Promise<number> {
  const result: CommandResult = { exitCode: EXIT.ok };
  const program = buildProgram(io, result, argv.slice(2));
  try {
    await program.parseAsync(argv);
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; usage errors were already printed by commander.
      return error.exitCode;
    }
    io.stderr.write(`wsr-native: ${(error as Error).message}\n`);
    return EXIT.error;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
