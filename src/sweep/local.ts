// The local executor: a pool of `--jobs` child processes, each running one point's training job
// (src/train/jobProcess.ts, the job's settings passed as JSON on its stdin) with its share of the
// CPU threads or its own GPU (round-robin). Each child's output goes to its point's train.log.
// SIGINT or SIGTERM stops the children cleanly (each keeps its last completed epoch's checkpoint;
// a second signal quits them at once); a re-run resumes them. A failed point does not stop the others.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import { devices } from '../device';
import { jobProcessScript } from '../train/jobProcess';
import type { ProgressStream } from '../train/progress';
import { PoolDisplay, PointEnd } from './display';
import { SweepFile, pointDir, pointLog, pointStatus } from './folder';
import { PointResources, pointJob, pointLogHeader } from './launch';
import { SweepPoint } from './points';

/** How one point's run ended. */
export interface PointOutcome {
  point: SweepPoint;
  /** 'skipped': finished before; 'not run': the sweep was stopped first. */
  end: PointEnd | 'skipped' | 'not run';
  /** The child's exit code (null: killed by a signal, or not run). */
  code: number | null;
  log: string;
  /** For a failure: the child's error line (or its last line). */
  detail: string;
}

/** The outcome of a local sweep. */
export interface LocalOutcome {
  outcomes: PointOutcome[];
  /** Stopped by a signal: points not run or not finished resume on a re-run. */
  interrupted: boolean;
}

/** The CPU threads and GPU of pool slot `slot` of `jobs`. */
export function slotResources(slot: number, jobs: number, cores = os.availableParallelism?.() ?? os.cpus().length, gpus = cudaDeviceCount()): PointResources {
  return { threads: Math.max(1, Math.floor(cores / jobs)), device: gpus > 0 ? `cuda:${slot % gpus}` : null };
}

function cudaDeviceCount(): number {
  try {
    return devices().filter((d) => d.kind === 'cuda').length;
  } catch {
    return 0;
  }
}

/** Runs the unfinished points of `sweep` in a pool of `jobs` children. */
export async function runLocal(sweepDir: string, sweep: SweepFile, options: { jobs: number; stderr: ProgressStream }): Promise<LocalOutcome> {
  const node = process.execPath;
  const script = jobProcessScript();
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: build the package first (npm run build:ts)`);
  const outcomes: PointOutcome[] = [];
  const queue: SweepPoint[] = [];
  for (const point of sweep.points) {
    if (pointStatus(sweepDir, point) === 'finished') outcomes.push({ point, end: 'skipped', code: 0, log: pointLog(sweepDir, point), detail: 'finished before' });
    else queue.push(point);
  }
  const display = new PoolDisplay(options.stderr, sweep.points.length, outcomes.length);
  if (outcomes.length > 0) display.message(`${outcomes.length} of ${sweep.points.length} points finished before; ${queue.length} to run`);
  const children = new Set<ChildProcess>();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    display.message(
      signals === 1
        ? `${signal}: stopping the running points, each keeping its last completed epoch's checkpoint (${signal} again to quit them at once); a re-run resumes them`
        : `${signal}: stopping the running points at once`,
    );
    for (const child of children) if (child.pid) process.kill(child.pid, signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const runPoint = (slot: number, point: SweepPoint): Promise<PointOutcome> => {
    const status = pointStatus(sweepDir, point);
    const log = pointLog(sweepDir, point);
    if (status === 'finished') return Promise.resolve({ point, end: 'skipped', code: 0, log, detail: 'finished meanwhile' });
    const job = pointJob(sweepDir, sweep.spec, point, status, slotResources(slot, options.jobs));
    fs.mkdirSync(pointDir(sweepDir, point), { recursive: true });
    const logFd = fs.openSync(log, 'a');
    fs.writeSync(logFd, pointLogHeader(job));
    display.started(slot, point.name, status === 'new' ? 'train' : 'resume');
    // Its own process group: a Ctrl-C on the terminal reaches the sweep only, which passes it on once.
    const child = spawn(node, [script], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.stdin!.on('error', () => {}); // a child that dies at once closes its stdin: its exit says why
    child.stdin!.end(JSON.stringify(job));
    let pending = '';
    let errorLine = '';
    let lastLine = '';
    const onData = (chunk: Buffer): void => {
      fs.writeSync(logFd, chunk);
      const lines = (pending + chunk.toString()).split(/[\r\n]/);
      pending = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim();
        if (!line) continue;
        lastLine = line;
        if (line.startsWith('wsr-native: ')) errorLine = line;
        display.output(slot, line);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    return new Promise((resolve) => {
      let spawnError: Error | null = null;
      child.on('error', (error) => (spawnError = error));
      child.on('close', (code, signal) => {
        children.delete(child);
        fs.closeSync(logFd);
        let end: PointEnd;
        let detail = '';
        if (spawnError) [end, detail] = ['failed', `could not start ${node}: ${spawnError.message}`];
        else if (code === 0) {
          end = pointStatus(sweepDir, point) === 'finished' ? 'finished' : 'unfinished';
          if (end === 'unfinished') detail = 'stopped before the end; a re-run resumes it';
        } else if (code === 130 || signal === 'SIGINT' || signal === 'SIGTERM' || (signals > 0 && signal === 'SIGKILL')) {
          [end, detail] = ['interrupted', 'a re-run resumes it'];
        } else [end, detail] = ['failed', `${code !== null ? `exit ${code}` : `killed by ${signal}`}; ${errorLine || lastLine}; log: ${log}`];
        display.ended(slot, end, detail);
        resolve({ point, end, code, log, detail });
      });
    });
  };

  try {
    const workers = Array.from({ length: Math.min(options.jobs, queue.length) }, async (_, slot) => {
      while (signals === 0 && queue.length > 0) outcomes.push(await runPoint(slot, queue.shift()!));
    });
    await Promise.all(workers);
    for (const point of queue) outcomes.push({ point, end: 'not run', code: null, log: pointLog(sweepDir, point), detail: 'stopped before it started' });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    display.close();
  }
  const order = new Map(sweep.points.map((p, i) => [p.name, i]));
  outcomes.sort((a, b) => order.get(a.point.name)! - order.get(b.point.name)!);
  return { outcomes, interrupted: signals > 0 };
}
