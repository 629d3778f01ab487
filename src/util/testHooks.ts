// Test hooks: the named points where the chaos test (test/chaos/) kills a training process, as an
// out-of-memory killer or a lost remote session would, to prove that a run resumes from any of
// them. Inert unless the environment names the point:
//   WSR_TEST_KILL_AT=checkpoint-write | metrics-append | figure-render | after-conversion
//   WSR_TEST_KILL_SKIP=N        pass the point N times first (default 0)
//   WSR_TEST_KILL_MARKER=FILE   append "<point> <pid>" to FILE before dying (proof the point was reached)
import { appendFileSync, readdirSync, statSync } from 'fs';
import path from 'path';

/** The points a test can kill a training process at. */
export type KillPoint =
  /** Inside a checkpoint write: its temporary file half written (util/atomic.ts). */
  | 'checkpoint-write'
  /** Inside an append to metrics.jsonl: half of a record's line written (report/metricsLog.ts). */
  | 'metrics-append'
  /** While the figure worker renders (report/figureUpdates.ts). */
  | 'figure-render'
  /** After the conversion's state is saved, before the first branch epoch (train/runFolder.ts). */
  | 'after-conversion';

export const KILL_POINTS: readonly KillPoint[] = ['checkpoint-write', 'metrics-append', 'figure-render', 'after-conversion'];

const reached = new Map<KillPoint, number>();

/** Whether the environment asks to kill this process at `point` now (counting this reach of it). */
export function killArmed(point: KillPoint): boolean {
  if (process.env.WSR_TEST_KILL_AT !== point) return false;
  const n = (reached.get(point) ?? 0) + 1;
  reached.set(point, n);
  return n > Number(process.env.WSR_TEST_KILL_SKIP ?? 0);
}

/** Records that `point` was reached (WSR_TEST_KILL_MARKER) and kills this process with SIGKILL: nothing after it runs. */
export function killNow(point: KillPoint): void {
  const marker = process.env.WSR_TEST_KILL_MARKER;
  if (marker) appendFileSync(marker, `${point} ${process.pid}\n`);
  process.kill(process.pid, 'SIGKILL');
}

/**
 * The hook: when the environment names `point` (see above), runs `leave` (the state a kill there
 * leaves behind, such as a half-written line) and kills this process. Otherwise does nothing.
 */
export function testKillPoint(point: KillPoint, leave?: () => void): void {
  if (!killArmed(point)) return;
  leave?.();
  killNow(point);
}

/** Blocks this thread until a file in `dir` is written after `sinceMs` (another thread writing it), or `timeoutMs` passed. */
export function waitForWrite(dir: string, sinceMs: number, timeoutMs = 10_000): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (const end = Date.now() + timeoutMs; Date.now() < end; Atomics.wait(pause, 0, 0, 5)) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      // Not made yet.
    }
    for (const name of names) {
      try {
        if (statSync(path.join(dir, name)).mtimeMs > sinceMs) return;
      } catch {
        // Renamed meanwhile.
      }
    }
  }
}
