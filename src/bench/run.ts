// Runs the bench: loads the baselines if it can (and starts PyTorch with --torch), times every
// selected case with progress on stderr, and returns the rows (with --torch, and the torch report).
import os from 'os';
import { numThreads, resolveDevice, setNumThreads } from '../device';
import { buildCases } from './cases';
import { BenchOptions } from './options';
import { denseShapes, windowShapes } from './shapes';
import { timeCase } from './timing';
import { registerTfjsGradients } from './tfjs/gradients';
import { TFJS_HINT, Tfjs, loadTfjs } from './tfjs/load';
import { TorchHarness } from './torch/harness';
import { findTorchPython, torchBenchScript } from './torch/python';
import { TorchReport, gemmShapes, torchWarnings } from './torch/report';
import { BenchCase, ResultRow } from './types';

export interface BenchIo {
  /** Progress and notices (stderr in the CLI). */
  log(line: string): void;
}

async function baselines(options: BenchOptions, io: BenchIo): Promise<Tfjs | null> {
  if (options.baselines.length === 0) return null;
  if (options.device !== 'cpu') {
    io.log(`bench: baselines skipped: the TensorFlow.js backends run on the CPU, not on ${options.device}`);
    return null;
  }
  const t = await loadTfjs();
  if (t instanceof Error) {
    io.log(`bench: baselines skipped: TensorFlow.js is not installed (${t.message.split('\n')[0]}); to get them: ${TFJS_HINT}`);
    return null;
  }
  const missing = options.baselines.filter((b) => !t.backends.includes(b));
  if (missing.length > 0) io.log(`bench: tfjs backend(s) ${missing.join(', ')} did not initialise: skipped`);
  if (options.ops.includes('train_step') && t.gradients !== true) {
    io.log('bench: loading tfjs gradients for the training-step baselines');
    try {
      await registerTfjsGradients();
      t.gradients = true;
    } catch (error) {
      t.gradients = (error as Error).message.split('\n')[0];
      io.log(`bench: tfjs gradients unavailable (${t.gradients}): no tfjs training-step baselines`);
    }
  }
  return t;
}

export interface BenchResult {
  rows: ResultRow[];
  /** With --torch: torch, its BLAS, oneDNN, the sgemm ceiling, the load average (torch/report.ts). */
  torch: TorchReport | null;
}

/** Starts the PyTorch harness; throws TorchUnavailable (how to install it) when it cannot. */
async function startTorch(options: BenchOptions, io: BenchIo): Promise<{ harness: TorchHarness; report: TorchReport }> {
  const python = findTorchPython();
  io.log(`bench: starting the PyTorch contender (${python} ${torchBenchScript()} --serve)`);
  const loadBefore = os.loadavg();
  const started = new Date().toISOString();
  const { harness, info } = await TorchHarness.start(python, torchBenchScript(), options.threads[0], io.log);
  const report: TorchReport = {
    info,
    threads: options.threads,
    sgemm: [],
    loadBefore,
    loadAfter: null,
    cores: os.cpus().length,
    started,
    finished: null,
  };
  io.log(`bench: torch ${info.torch}, BLAS ${info.blas?.kind ?? '?'}, oneDNN ${info.onednn.convolution_line ? 'ran the traced conv2d' : 'ran no convolution'}`);
  for (const warning of torchWarnings(report)) io.log(`bench: ${warning}`);
  return { harness, report };
}

/** The sgemm ceiling through torch at every thread count: 2048³ and each selected layer's GEMM. */
async function measureSgemm(harness: TorchHarness, report: TorchReport, cases: readonly BenchCase[], options: BenchOptions, io: BenchIo): Promise<void> {
  const shapes = gemmShapes(
    cases,
    new Map(windowShapes().map((s) => [s.name, s])),
    new Map(denseShapes().map((s) => [s.name, s])),
  );
  for (const threads of options.threads) {
    io.log(`bench: sgemm ceiling through torch at ${threads} thread(s): ${shapes.length} shape(s)`);
    const reply = await harness.request({
      cmd: 'sgemm',
      threads,
      warmup: Math.max(1, options.warmup),
      repeats: options.repeats,
      shapes: shapes.map(({ label, m, n, k }) => ({ label, m, n, k })),
    });
    const measured = reply.rows as TorchReport['sgemm'];
    measured.forEach((row, i) => report.sgemm.push({ ...row, threads, cases: shapes[i].cases }));
    const big = measured[0];
    io.log(`bench:   ${big.label}: ${big.ms.toFixed(1)} ms, ${big.gflops.toFixed(1)} GFLOP/s`);
  }
}

export async function runBench(options: BenchOptions, io: BenchIo): Promise<BenchResult> {
  const device = options.device === 'cpu' ? 'cpu' : resolveDevice(options.device);
  const resolved = { ...options, device };
  const t = await baselines(resolved, io);
  const torch = options.torch ? await startTorch(resolved, io) : null;
  try {
    const cases = buildCases(resolved, t, torch?.harness ?? null);
    if (cases.length === 0) throw new Error('bench: no case matches the --op and --shape filters');
    if (torch) await measureSgemm(torch.harness, torch.report, cases, resolved, io);
    const rows = await timeCases(cases, resolved, io);
    if (torch) {
      torch.report.loadAfter = os.loadavg();
      torch.report.finished = new Date().toISOString();
    }
    return { rows, torch: torch?.report ?? null };
  } finally {
    await torch?.harness.close();
  }
}

async function timeCases(cases: readonly BenchCase[], options: BenchOptions, io: BenchIo): Promise<ResultRow[]> {
  const threadsBefore = numThreads();
  const rows: ResultRow[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      const label = `${c.op} ${c.shape}${c.batch === null ? '' : ` batch ${c.batch}`}`;
      io.log(`bench: [${i + 1}/${cases.length}] ${label}`);
      const result = await timeCase(c, { repeats: options.repeats, warmup: options.warmup });
      const summary = result.map((r) => `${r.impl}${r.threads === null ? '' : `@${r.threads}`} ${r.ms === null ? 'n/a' : `${r.ms.toFixed(2)} ms`}`);
      io.log(`bench:   ${summary.join(', ')}`);
      rows.push(...result);
    }
  } finally {
    if (numThreads() !== threadsBefore) setNumThreads(threadsBefore);
  }
  return rows;
}
