// One writer per run folder: a lock file holding the owner's pid. A lock whose process is gone
// (a crash, a kill -9) is stale and taken over.
import fs from 'fs';
import path from 'path';

/** The lock file's name inside a run folder. */
export const LOCK_FILE = '.lock';

/** Thrown when another live process holds the run folder. */
export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly pid: number,
  ) {
    super(`${runDir} is in use by another wsr-native process (pid ${pid}); wait for it to finish or stop it first`);
    this.name = 'RunLockedError';
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readPid(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** A held lock; release it when the run ends. */
export interface RunLock {
  readonly file: string;
  /** Whether a stale lock of a dead process was taken over (its pid), else null. */
  readonly tookOverFrom: number | null;
  release(): void;
}

/**
 * Takes the lock of `runDir` (created if needed) for this process: creates `.lock` exclusively
 * with our pid. When the file exists and its pid is a live process (other than ours) it throws
 * {@link RunLockedError}; a lock of a dead process, or an unreadable one, is replaced.
 */
export function acquireRunLock(runDir: string): RunLock {
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, LOCK_FILE);
  let tookOverFrom: number | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      let released = false;
      return {
        file,
        tookOverFrom,
        release() {
          if (released) return;
          released = true;
          if (readPid(file) === process.pid) fs.rmSync(file, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const pid = readPid(file);
    if (pid !== null && pid !== process.pid && processAlive(pid)) throw new RunLockedError(runDir, pid);
    if (pid === process.pid) throw new RunLockedError(runDir, pid);
    // Stale: its process is gone. Remove it and try again (another taker may win the race).
    tookOverFrom = pid;
    fs.rmSync(file, { force: true });
  }
  throw new Error(`${file}: could not take the lock (it keeps reappearing)`);
}
