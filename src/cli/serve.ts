// `wsr-native serve [RUNS_DIR]`: the run browser on a local web server, until Ctrl-C.
import { Command } from 'commander';
import { DEFAULT_PORT, startServer } from '../serve';
import { CliIO } from './io';
import { integer } from '../train/settingKinds';
import { cliParser, pathValue } from './parse';

/** Resolves on the first SIGINT or SIGTERM. */
function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Adds the `serve` command. */
export function addServeCommand(program: Command, io: CliIO): void {
  program
    .command('serve')
    .description('browse the runs and sweeps under a folder in a web browser: a local server on 127.0.0.1 (live while runs train)')
    .argument('[runs-dir]', 'the folder to show (runs and sweeps are found at any depth)', pathValue, 'runs')
    .option('--port <n>', 'the port on 127.0.0.1 (0: any free port)', cliParser(integer(0, 65535)), DEFAULT_PORT)
    .action(async (dir: string, flags: { port: number }) => {
      const server = await startServer({ root: dir, port: flags.port });
      io.stdout.write(`${server.url}\n`);
      io.stderr.write(`wsr-native: showing ${server.root} at ${server.url} (Ctrl-C stops)\n`);
      const signal = await untilStopped();
      await server.close();
      io.stderr.write(`wsr-native: ${signal}: server stopped\n`);
    });
}
