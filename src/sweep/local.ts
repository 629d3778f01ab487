// The local executor: a pool of `--jobs` child processes, each running one point's training job
// (src/train/jobProcess.ts, the job's settings passed as JSON on its stdin) with its share of the
// CPU threads or its own GPU (round-robin). Each child's output goes to its point's train.log.
// SIGINT or SIGTERM stops the children cleanly (each keeps its last completed epoch's checkpoint;
// a second signal quits them at once); a re-run resumes them. A failed point does not stop the others.
//
// The sweep can die without a word (kill -9, an out-of-memory killer, a closed session): each child
// holds an IPC channel to it, and stops as after Ctrl-C when that channel closes (jobProcess.ts), so
// no orphan trains on unseen. A re-run that finds a point still held by a live process of this host
// (such an orphan finishing its stop, or a `train --resume` of the point) waits for it, saying so on
// the point's line, then resumes or skips the point; a point held by another host (a live lease) is
// shown as running there. Neither counts as failed: only a point whose training failed does.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import { devices } from '../device';
import { hostIdentity, lockHolder } from '../train/lock';
import { FOLDER_TAKEN_EXIT, JobRequest, jobProcessScript } from '../train/jobProcess';
import type { ProgressStream } from '../train/progress';
import { PoolDisplay, PointEnd } from './display';
import { SweepFile, pointDir, pointLog, pointStatus } from './folder';
import { PointResources, pointJob, pointLogHeader, sharingOrder, sweepTrajectories } from './launch';
import { SweepPoint } from './points';

/** How one point's run ended. */
export interface PointOutcome {
  point: SweepPoint;
  /** 'skipped': finished before; 'not run': the sweep was stopped first; 'elsewhere': another host is running it. */
  end: PointEnd | 'skipped' | 'not run' | 'elsewhere';
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Who holds a point's folder now, when a live process does: on this host, or on another (with a live lease). */
type Holder = { pid: number; host: string | null } | null;

/** The live holder of run folder `dir`, or null when it is free or its holder is gone. */
export function liveHolder(dir: string): Holder {
  const held = lockHolder(dir);
  if (!held || held.stale !== null || !held.record) return null;
  return { pid: held.record.pid, host: held.record.host === hostIdentity().host ? null : held.record.host };
}

/** How often a point held by a live process of this host is looked at again. */
const HOLDER_POLL_MS = 250;
/** A point whose folder keeps being taken by others before its child can hold it fails after this many looks. */
const MAX_LOOKS = 20;

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
  queue.splice(0, queue.length, ...sharingOrder(queue, sweep.spec, sweepTrajectories(sweepDir, sweep.spec, slotResources(0, options.jobs))));
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

  /** Waits while a live process of this host holds `point`'s folder (`first`, as first seen), or until the sweep is stopped. */
  const waitForHolder = async (slot: number, point: SweepPoint, first: { pid: number }): Promise<void> => {
    display.waiting(slot, point.name, `held by process ${first.pid} of this host (an earlier sweep's child stopping, or a train --resume of it): waiting for it to let go`);
    for (let holder = liveHolder(pointDir(sweepDir, point)); holder !== null && holder.host === null && signals === 0; holder = liveHolder(pointDir(sweepDir, point))) {
      await sleep(HOLDER_POLL_MS);
    }
  };

  /** Runs one point's job in a child; 'taken' when another process got to its folder first (look at it again). */
  const runChild = (slot: number, point: SweepPoint, status: 'new' | 'started', lastLook: boolean): Promise<PointOutcome | 'taken'> => {
    const log = pointLog(sweepDir, point);
    const job = pointJob(sweepDir, sweep.spec, point, status, slotResources(slot, options.jobs));
    fs.mkdirSync(pointDir(sweepDir, point), { recursive: true });
    const logFd = fs.openSync(log, 'a');
    // A log the file system refuses (full, read-only) loses lines; it must not end the sweep.
    let logError: string | null = null;
    const writeLog = (data: string | Buffer): void => {
      try {
        fs.writeSync(logFd, typeof data === 'string' ? Buffer.from(data) : data);
      } catch (error) {
        logError ??= `could not write ${log}: ${(error as Error).message}`;
      }
    };
    writeLog(pointLogHeader(job));
    display.started(slot, point.name, status === 'new' ? 'train' : 'resume');
    // Its own process group: a Ctrl-C on the terminal reaches the sweep only, which passes it on once.
    // The IPC channel is its lifeline: when this process dies, the child sees it close and stops.
    const child = spawn(node, [script], { detached: true, stdio: ['pipe', 'pipe', 'pipe', 'ipc'] });
    children.add(child);
    child.stdin!.on('error', () => {}); // a child that dies at once closes its stdin: its exit says why
    child.stdin!.end(JSON.stringify({ ...job, log } satisfies JobRequest));
    let pending = '';
    let errorLine = '';
    let lastLine = '';
    const onData = (chunk: Buffer): void => {
      writeLog(chunk);
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
        try {
          fs.closeSync(logFd);
        } catch {
          // Already reported by writeLog, if anything.
        }
        let end: PointEnd;
        let detail = '';
        if (code === FOLDER_TAKEN_EXIT && signals === 0 && !lastLook) {
          // Another process got to the folder between the look and the child's start: look again.
          resolve('taken');
          return;
        }
        if (spawnError) [end, detail] = ['failed', `could not start ${node}: ${spawnError.message}`];
        else if (pointStatus(sweepDir, point) === 'finished') {
          // The run is complete on disk, whatever ended its process afterwards (a kill while it let go of the folder).
          end = 'finished';
          if (code !== 0) detail = `its process then ended by ${code !== null ? `exit ${code}` : signal}, after the run was complete`;
        } else if (code === 0) [end, detail] = ['unfinished', 'stopped before the end; a re-run resumes it'];
        else if (code === 130 || signal === 'SIGINT' || signal === 'SIGTERM' || (signals > 0 && signal === 'SIGKILL')) {
          [end, detail] = ['interrupted', 'a re-run resumes it'];
        } else [end, detail] = ['failed', `${code !== null ? `exit ${code}` : `killed by ${signal}`}; ${errorLine || lastLine}; log: ${log}`];
        if (logError) detail += `${detail ? '; ' : ''}${logError}`;
        display.ended(slot, end, detail);
        resolve({ point, end, code, log, detail });
      });
    });
  };

  const runPoint = async (slot: number, point: SweepPoint): Promise<PointOutcome> => {
    const log = pointLog(sweepDir, point);
    for (let looks = 1; ; looks++) {
      const holder = liveHolder(pointDir(sweepDir, point));
      if (holder !== null && holder.host !== null) {
        const detail = `running on host ${holder.host} (pid ${holder.pid}), which holds its folder; not run here, and not failed: re-run the sweep once it ends`;
        display.message(`running elsewhere ${point.name}: ${detail}`);
        return { point, end: 'elsewhere', code: null, log, detail };
      }
      if (holder !== null) await waitForHolder(slot, point, holder);
      if (signals > 0) return { point, end: 'not run', code: null, log, detail: 'stopped before it started' };
      const status = pointStatus(sweepDir, point);
      if (status === 'finished') {
        const detail = holder !== null ? `finished meanwhile by process ${holder.pid}` : 'finished meanwhile';
        if (holder !== null) display.ended(slot, 'finished', detail);
        return { point, end: 'skipped', code: 0, log, detail };
      }
      const outcome = await runChild(slot, point, status, looks >= MAX_LOOKS);
      if (outcome !== 'taken') return outcome;
    }
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
