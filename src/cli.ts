#!/usr/bin/env node
// The wsr-native command line.
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'fs';
import path from 'path';
import { devices } from './device';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('wsr-native')
    .description('Weight sharing in CNNs: train a CNN, free its weight sharing, and measure what follows')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError();

  program
    .command('devices')
    .description('list the usable devices (the CPU and each CUDA GPU)')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }) => {
      const list = devices();
      if (options.json) {
        process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        return;
      }
      for (const d of list) {
        const memory = d.totalMemory ? `, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB` : '';
        const cc = d.computeCapability ? `, compute ${d.computeCapability}` : '';
        process.stdout.write(`${d.name.padEnd(8)} ${d.description}${memory}${cc}\n`);
      }
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`wsr-native: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
