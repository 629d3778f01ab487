// `wsr-native devices`: the usable devices.
import { Command } from 'commander';
import { devices } from '../device';
import { CliIO } from './io';

/** Adds the `devices` command. */
export function addDevicesCommand(program: Command, io: CliIO): void {
  program
    .command('devices')
    .description('list the usable devices (the CPU and each CUDA GPU)')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }) => {
      const list = devices();
      if (options.json) {
        io.stdout.write(JSON.stringify(list, null, 2) + '\n');
        return;
      }
      for (const d of list) {
        const memory = d.totalMemory ? `, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB` : '';
        const cc = d.computeCapability ? `, compute ${d.computeCapability}` : '';
        io.stdout.write(`${d.name.padEnd(8)} ${d.description}${memory}${cc}\n`);
      }
    });
}
