// `wsr-native bench`: micro-benchmarks of every kernel, and whole training steps, against the
// TensorFlow.js baselines and, with --torch, PyTorch on the CPU (recorded numbers: bench/RESULTS.md).
import { Command } from 'commander';
import { readFileSync } from 'fs';
import { numThreads } from '../device';
import { parseBenchOptions, RawBenchOptions } from './options';
import { formatJson, formatTable, tableFooter } from './report';
import { runBench } from './run';
import { targetsMarkdown } from './targets';
import { sgemmSection, torchHeader } from './torch/report';
import { OPS, ResultRow } from './types';

/** Rows of earlier `--json` runs, concatenated. */
function readRows(files: string): ResultRow[] {
  return files.split(',').flatMap((file) => {
    const rows: unknown = JSON.parse(readFileSync(file.trim(), 'utf8'));
    if (!Array.isArray(rows)) throw new Error(`bench: ${file} does not hold a JSON array of rows`);
    return rows as ResultRow[];
  });
}

/** Where the bench writes: results to stdout, progress and notices to stderr (the CLI's CliIO fits). */
export interface BenchStreams {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * Adds `bench` to a commander program (the wsr-native CLI, or bench/main.ts on its own). Errors
 * are thrown from the action, for the program's own error handling.
 */
export function registerBenchCommand(
  program: Command,
  io: BenchStreams = { stdout: process.stdout, stderr: process.stderr },
): Command {
  return program
    .command('bench')
    .description('time every kernel (conv, LC, dense, optimizers, distances) and whole training steps against TensorFlow.js (and PyTorch with --torch)')
    .option('--op <ops>', `comma-separated ops or prefixes (conv, lc, dense, …): ${OPS.join(', ')}`)
    .option('--shape <shapes>', 'comma-separated layer shapes or prefixes, e.g. cifar.conv2, mnist, cifar.fcn')
    .option('--batch <sizes>', 'comma-separated batch sizes', '1,32,128')
    .option('--repeats <n>', 'timed runs per implementation (median reported)', '10')
    .option('--warmup <n>', 'untimed runs per implementation first', '2')
    .option('--device <device>', 'cpu, cuda or cuda:N (the tfjs baselines run on the CPU only)', 'cpu')
    .option('--threads <counts>', 'comma-separated CPU thread counts for wsr-native (default: all cores)')
    .option('--tfjs <backends>', 'tfjs backends to compare with: wasm, cpu', 'wasm,cpu')
    .option('--no-baselines', 'no TensorFlow.js baselines (wsr-native alone, or against PyTorch only with --torch)')
    .option('--torch', 'also time PyTorch on the CPU at the same threads (bench/gpu/torch_bench.py; WSR_PYTHON picks the interpreter)')
    .option('--slow-baselines', "also run tfjs-cpu cases predicted to take over 3 s a run")
    .option('--json', 'print a JSON array of {op, shape, batch, impl, device, threads, layout, ms, gflops, repeats, note?}')
    .option('--from <files>', 'comma-separated JSON files of earlier --json runs: print them instead of timing')
    .option('--targets', 'also print the CPU targets, judged met or missed, as markdown (see bench/RESULTS.md)')
    .action(async (raw: RawBenchOptions & { from?: string; targets?: boolean }) => {
      const options = parseBenchOptions(raw, numThreads());
      const { rows, torch } = raw.from
        ? { rows: readRows(raw.from), torch: null }
        : await runBench(options, { log: (line) => io.stderr.write(`${line}\n`) });
      // With --torch: what ran under PyTorch before the table, its sgemm ceiling after (on stderr with --json).
      const before = torch ? `${torchHeader(torch)}\n` : '';
      const after = torch ? `\n${sgemmSection(torch, rows)}` : '';
      let text = options.json ? formatJson(rows) : before + formatTable(rows) + tableFooter(rows) + after;
      if (options.json && torch) io.stderr.write(before + after);
      if (raw.targets) text += `\n${targetsMarkdown(rows, Math.max(...options.batches))}`;
      io.stdout.write(text);
    });
}
