#!/usr/bin/env node
// Stand-alone entry of the bench (`node dist/bench/main.js …`), the same command as
// `wsr-native bench`; used by bench/gpu/run.sh and before the CLI wires the command in.
import { Command, CommanderError } from 'commander';
import { registerBenchCommand } from './command';

export async function benchMain(argv: readonly string[]): Promise<number> {
  const program = new Command('wsr-native').exitOverride();
  registerBenchCommand(program).exitOverride();
  try {
    await program.parseAsync(['node', 'wsr-native', 'bench', ...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`wsr-native bench: ${(error as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  benchMain(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
