// `wsr-native bench`: micro-benchmarks of every kernel, and whole training steps, against the
// TensorFlow.js baselines (recorded numbers: bench/RESULTS.md).
import { Command } from 'commander';
import { numThreads } from '../device';
import { parseBenchOptions, RawBenchOptions } from './options';
import { formatJson, formatTable, tableFooter } from './report';
import { runBench } from './run';
import { OPS } from './types';

export function registerBenchCommand(program: Command): Command {
  return program
    .command('bench')
    .description('time every kernel (conv, LC, dense, optimizers, distances) and whole training steps against TensorFlow.js')
    .option('--op <ops>', `comma-separated ops or prefixes (conv, lc, dense, …): ${OPS.join(', ')}`)
    .option('--shape <shapes>', 'comma-separated layer shapes or prefixes, e.g. cifar.conv2, mnist, cifar.fcn')
    .option('--batch <sizes>', 'comma-separated batch sizes', '1,32,128')
    .option('--repeats <n>', 'timed runs per implementation (median reported)', '10')
    .option('--warmup <n>', 'untimed runs per implementation first', '2')
    .option('--device <device>', 'cpu, cuda or cuda:N (the tfjs baselines run on the CPU only)', 'cpu')
    .option('--threads <counts>', 'comma-separated CPU thread counts for wsr-native (default: all cores)')
    .option('--tfjs <backends>', 'tfjs backends to compare with: wasm, cpu', 'wasm,cpu')
    .option('--no-baselines', 'time wsr-native alone')
    .option('--slow-baselines', "also run tfjs-cpu cases predicted to take over 3 s a run")
    .option('--json', 'print a JSON array of {op, shape, batch, impl, device, threads, layout, ms, gflops, repeats, note?}')
    .action(async (raw: RawBenchOptions) => {
      const options = parseBenchOptions(raw, numThreads());
      const rows = await runBench(options, { log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(options.json ? formatJson(rows) : formatTable(rows) + tableFooter());
    });
}
