// One writer per run folder, also across the hosts of a cluster sharing the folder over NFS or a
// parallel file system. The lock file records who holds it (host, boot, pid and the pid's start
// time) and carries a lease: the holder touches the file's mtime every `renewMs` (as
// proper-lockfile does). It is taken over only when provably stale:
// - held on this host (same hostname and boot): at once when its process is gone, or its pid now
//   belongs to a process started later (pid reuse);
// - held on another host (or this host before a reboot): only once its lease has expired, since
//   from here we cannot see whether that process lives. Hosts' clocks must agree to within the
//   lease minus the renewal interval (NTP does far better).
// The file appears atomically with its full content (hard link of a complete temporary file), and
// takers are serialised by a short-lived guard file, so two takers cannot both win.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';

/** The lock file's name inside a run folder. */
export const LOCK_FILE = '.lock';
/** Takers of a stale lock hold this guard while they replace it. */
const GUARD_FILE = '.lock.takeover';

/** How long a lock stays valid without renewal, and how often its holder renews it. */
export const DEFAULT_LEASE_MS = 120_000;
export const DEFAULT_RENEW_MS = 15_000;
/** A takeover guard older than this belongs to a taker that died within its few milliseconds. */
const GUARD_STALE_MS = 30_000;

/** Who holds a lock: the content of the lock file (JSON, never changed after creation). */
export interface LockRecord {
  format: 'wsr-native-lock';
  version: 1;
  host: string;
  /** The kernel's boot id (Linux), to tell a reboot from a live host; null where unknown. */
  bootId: string | null;
  pid: number;
  /** The process's start time in clock ticks since boot (Linux /proc), to detect pid reuse; null where unknown. */
  pidStart: string | null;
  /** Unique per acquisition: the holder checks it to notice a takeover. */
  token: string;
  acquired: string;
  /** The lease: stale when the file's mtime is older than this (other hosts only). */
  leaseMs: number;
}

/** Thrown when another live process holds the run folder. */
export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly pid: number,
    readonly host: string | null = null,
  ) {
    super(`${runDir} is in use by another wsr-native process (pid ${pid})${host ? ` on host ${host}` : ''}; wait for it to finish or stop it first`);
    this.name = 'RunLockedError';
  }
}

/** The lock that was taken over, and why it was stale. */
export interface TakeOver {
  pid: number | null;
  host: string | null;
  /** 'gone': its process on this host no longer runs; 'expired': another host's lease ran out; 'unreadable'. */
  reason: 'gone' | 'expired' | 'unreadable';
}

/** A held lock; release it when the run ends. */
export interface RunLock {
  readonly file: string;
  readonly record: LockRecord;
  /** The stale lock that was taken over, or null. */
  readonly tookOver: TakeOver | null;
  /** The pid of the stale lock taken over, or null (tookOver.pid). */
  readonly tookOverFrom: number | null;
  /** Touches the lease now (the timer does it every renewMs); returns false when the lock was lost. */
  renew(): boolean;
  release(): void;
}

/** How a lock is taken; the defaults suit training runs. */
export interface LockOptions {
  leaseMs?: number;
  renewMs?: number;
  /** Called once when a renewal finds the lock taken over by someone else (this process was frozen past its lease). */
  onLost?: (message: string) => void;
}

function readFirstLine(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** This host's identity. */
export function hostIdentity(): { host: string; bootId: string | null } {
  return { host: os.hostname(), bootId: readFirstLine('/proc/sys/kernel/random/boot_id') };
}

/** A process's start time (field 22 of /proc/PID/stat), or null where there is no /proc or no such process. */
export function processStartTime(pid: number): string | null {
  const stat = readFirstLine(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19] ?? null;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses a lock file's content: a record, or a bare pid (the format before leases), else null. */
export function parseLockRecord(text: string): LockRecord | null {
  if (/^\d+$/.test(text.trim())) {
    const pid = Number(text.trim());
    const { host, bootId } = hostIdentity(); // an old-format lock was always taken on this host
    return { format: 'wsr-native-lock', version: 1, host, bootId, pid, pidStart: null, token: '', acquired: '', leaseMs: DEFAULT_LEASE_MS };
  }
  try {
    const r = JSON.parse(text) as LockRecord;
    const ok =
      r.format === 'wsr-native-lock' && typeof r.host === 'string' && Number.isInteger(r.pid) && r.pid > 0 &&
      typeof r.token === 'string' && Number.isFinite(r.leaseMs) && r.leaseMs > 0;
    return ok ? r : null;
  } catch {
    return null;
  }
}

/** The lock file now: its record (null: unreadable) and its mtime; null when there is none. */
function inspect(file: string): { text: string; record: LockRecord | null; mtimeMs: number } | null {
  try {
    const text = fs.readFileSync(file, 'utf8');
    const mtimeMs = fs.statSync(file).mtimeMs;
    return { text, record: parseLockRecord(text), mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Whether the lock `record` (its file last touched at `mtimeMs`) is stale as seen from this
 * process, and why; null when its holder may be alive.
 */
export function staleness(record: LockRecord | null, mtimeMs: number, now = Date.now()): TakeOver['reason'] | null {
  if (record === null) return 'unreadable';
  const here = hostIdentity();
  const sameBoot = record.host === here.host && (record.bootId === null || here.bootId === null || record.bootId === here.bootId);
  if (sameBoot) {
    if (record.pid === process.pid) return null;
    if (!processAlive(record.pid)) return 'gone';
    const start = record.pidStart === null ? null : processStartTime(record.pid);
    return start !== null && start !== record.pidStart ? 'gone' : null;
  }
  return now - mtimeMs > record.leaseMs ? 'expired' : null;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates `file` with `content` only if it does not exist, atomically with its whole content. */
function createExclusive(file: string, content: string): boolean {
  const temp = path.join(path.dirname(file), `.lock.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  fs.writeFileSync(temp, content, { flag: 'wx' });
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Replaces the stale lock whose content was `staleText` by ours, under the takeover guard.
 * Returns false when the lock changed meanwhile (another taker won, or its holder came back): look again.
 */
function takeOver(file: string, staleText: string, content: string): boolean {
  const guard = path.join(path.dirname(file), GUARD_FILE);
  if (!createExclusive(guard, `${process.pid}\n`)) {
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > GUARD_STALE_MS) fs.rmSync(guard, { force: true });
    } catch {
      // Gone already.
    }
    sleepSync(20);
    return false;
  }
  try {
    const now = inspect(file);
    if (now !== null && now.text !== staleText) return false;
    fs.rmSync(file, { force: true });
    return createExclusive(file, content);
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/**
 * Takes the lock of `runDir` (created if needed) for this process, and keeps its lease renewed
 * until release. Throws {@link RunLockedError} when a live holder has it (this process included:
 * one run per folder).
 */
export function acquireRunLock(runDir: string, options: LockOptions = {}): RunLock {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const renewMs = options.renewMs ?? Math.min(DEFAULT_RENEW_MS, leaseMs / 4);
  fs.mkdirSync(runDir, { recursive: true });
  const file = path.join(runDir, LOCK_FILE);
  const { host, bootId } = hostIdentity();
  const record: LockRecord = {
    format: 'wsr-native-lock', version: 1, host, bootId, pid: process.pid, pidStart: processStartTime(process.pid),
    token: randomBytes(12).toString('hex'), acquired: new Date().toISOString(), leaseMs,
  };
  const content = `${JSON.stringify(record)}\n`;
  let tookOver: TakeOver | null = null;
  for (let attempt = 0; ; attempt++) {
    if (attempt >= 50) throw new Error(`${file}: could not take the lock (it keeps changing)`);
    if (createExclusive(file, content)) break;
    const held = inspect(file);
    if (held === null) continue; // released meanwhile
    const reason = staleness(held.record, held.mtimeMs);
    if (reason === null) throw new RunLockedError(runDir, held.record!.pid, held.record!.host === host ? null : held.record!.host);
    if (takeOver(file, held.text, content)) {
      tookOver = { pid: held.record?.pid ?? null, host: held.record?.host ?? null, reason };
      break;
    }
  }
  return heldLock(file, record, tookOver, renewMs, options.onLost);
}

function heldLock(file: string, record: LockRecord, tookOver: TakeOver | null, renewMs: number, onLost?: (message: string) => void): RunLock {
  let state: 'held' | 'lost' | 'released' = 'held';
  const ours = (): boolean => parseLockRecord(readFirstLine(file) ?? '')?.token === record.token;
  const renew = (): boolean => {
    if (state !== 'held') return false;
    try {
      if (ours()) {
        const now = new Date();
        fs.utimesSync(file, now, now);
        return true;
      }
    } catch {
      // Unreachable file system for a moment: the next renewal tries again, the lease allows for it.
      return true;
    }
    state = 'lost';
    clearInterval(timer);
    onLost?.(`${file}: the lock was taken over by another process (this one did not renew its lease in time); stopping`);
    return false;
  };
  const timer = setInterval(renew, renewMs);
  timer.unref();
  return {
    file,
    record,
    tookOver,
    tookOverFrom: tookOver?.pid ?? null,
    renew,
    release() {
      if (state === 'released') return;
      const wasHeld = state === 'held';
      state = 'released';
      clearInterval(timer);
      if (wasHeld && ours()) fs.rmSync(file, { force: true });
    },
  };
}

/** The message for a lock taken over, for the run's log. */
export function describeTakeOver(t: TakeOver): string {
  if (t.reason === 'gone') return `took over the lock of process ${t.pid}, which is gone`;
  if (t.reason === 'expired') return `took over the lock of process ${t.pid} on host ${t.host}, whose lease expired`;
  return 'took over an unreadable lock file';
}

/** Who holds the lock of `runDir` now, and whether it is stale (null reason: its holder may be alive); null when unlocked. */
export function lockHolder(runDir: string): { record: LockRecord | null; stale: TakeOver['reason'] | null; mtimeMs: number } | null {
  const held = inspect(path.join(runDir, LOCK_FILE));
  return held && { record: held.record, stale: staleness(held.record, held.mtimeMs), mtimeMs: held.mtimeMs };
}
