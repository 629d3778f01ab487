// One writer per run folder, also across the hosts of a cluster sharing the folder over NFS or a
// parallel file system. The lock file records who holds it (host, boot, pid and the pid's start
// time) and carries a lease: the holder touches the file's mtime every `renewMs` (as
// proper-lockfile does). It is taken over only when provably stale:
// - held on this host (same hostname and boot): at once when its process is gone, is a zombie (dead,
//   its exit status not yet collected: it can write nothing), or its pid now belongs to a process
//   started later (pid reuse); a holder that is exiting (killed, still tearing down) is waited for
//   briefly;
// - held on another host (or this host before a reboot): only once its lease has expired, since
//   from here we cannot see whether that process lives. Hosts' clocks must agree to within the
//   lease minus the renewal interval (NTP does far better).
// The file appears atomically with its full content (hard link of a complete temporary file), and
// takers are serialised by a short-lived guard file, so two takers cannot both win.
import { randomBytes } from 'crypto';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { processExists, writeError } from '../util/atomic';

/** The lock file's name inside a run folder. */
export const LOCK_FILE = '.lock';
/** Takers of a stale lock hold this guard while they replace it. */
const GUARD_FILE = '.lock.takeover';

/** How long a lock stays valid without renewal, and how often its holder renews it. */
export const DEFAULT_LEASE_MS = 120_000;
export const DEFAULT_RENEW_MS = 15_000;
/** How long a taker waits for a holder on this host that is exiting. */
export const DEFAULT_EXIT_WAIT_MS = 10_000;
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

/**
 * The `code` of the error that refuses to start a new run in a folder that already holds one
 * (runFolder.ts): like a held lock, a sign that another process got to the folder first.
 */
export const RUN_EXISTS = 'WSR_RUN_EXISTS';

/** Thrown when another live process holds the run folder. */
export class RunLockedError extends Error {
  constructor(
    readonly runDir: string,
    readonly pid: number,
    readonly host: string | null = null,
    /** Set when the holder was exiting and did not finish within this many milliseconds. */
    waitedMs: number | null = null,
  ) {
    super(
      waitedMs !== null
        ? `${runDir} is in use by another wsr-native process (pid ${pid}), which has been exiting for ${Math.round(waitedMs / 1000)} s; try again once it is gone`
        : `${runDir} is in use by another wsr-native process (pid ${pid})${host ? ` on host ${host}` : ''}; wait for it to finish or stop it first`,
    );
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
  /** How long to wait for a holder on this host that is exiting (killed, still tearing down) before refusing (default 10 s). */
  exitWaitMs?: number;
  /** Told once when the lock is waited for (a holder that is exiting). */
  onWait?: (message: string) => void;
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

/** What /proc/PID/stat says of a process: its state letter, its kernel flags and its start time. */
export interface ProcessStat {
  /** R, S, D, T, t, Z (zombie: dead, not yet reaped), X (dead), I, … */
  state: string;
  /** The kernel's PF_* flags (PF_EXITING is set once the process began to exit). */
  flags: number;
  /** The start time in clock ticks since boot (field 22), to detect pid reuse. */
  start: string;
}

/** Parses the text of /proc/PID/stat (null when it is not one). */
export function parseProcessStat(stat: string): ProcessStat | null {
  // The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  const fields = stat.slice(close + 2).split(' ');
  if (fields.length < 20) return null;
  return { state: fields[0], flags: Number(fields[6]), start: fields[19] };
}

/** /proc/PID/stat of `pid`, or null where there is no /proc or no such process. */
export function processStat(pid: number): ProcessStat | null {
  const stat = readFirstLine(`/proc/${pid}/stat`);
  return stat === null ? null : parseProcessStat(stat);
}

/** A process's start time (field 22 of /proc/PID/stat), or null where there is no /proc or no such process. */
export function processStartTime(pid: number): string | null {
  return processStat(pid)?.start ?? null;
}

/** PF_EXITING (include/linux/sched.h): the process is in its exit path. */
const PF_EXITING = 0x4;
/** SIGKILL's bit in /proc/PID/status's pending-signal masks. */
const SIGKILL_BIT = 1n << 8n;

type Liveness = 'alive' | 'exiting' | 'gone';

/**
 * How a process of this host stands, from its /proc/PID/stat (`stat`) and /proc/PID/status
 * (`status`), and for a zombie leader how its other threads stand (`others`): 'gone' when it is a
 * zombie or dead and so are they (it can write nothing), 'exiting' when it began to exit or SIGKILL
 * is pending (it will be gone within moments), else 'alive'.
 */
export function livenessOf(stat: ProcessStat, status: string | null, others: Liveness = 'gone'): Liveness {
  // A zombie leader is as alive as its other threads: they may still be exiting or, when the leader
  // ended alone, running.
  if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return others;
  if ((stat.flags & PF_EXITING) !== 0) return 'exiting';
  const pending = [...(status ?? '').matchAll(/^(?:SigPnd|ShdPnd):\s*([0-9a-f]+)$/gm)];
  return pending.some((m) => (BigInt(`0x${m[1]}`) & SIGKILL_BIT) !== 0n) ? 'exiting' : 'alive';
}

/** How the threads of process `pid` other than its leader stand, the most alive of them ('gone' when there are none). */
function otherThreads(pid: number): Liveness {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return 'gone';
  }
  let most: Liveness = 'gone';
  for (const t of tasks) {
    if (t === String(pid)) continue;
    const stat = parseProcessStat(readFirstLine(`/proc/${pid}/task/${t}/stat`) ?? '');
    const l = stat === null ? 'gone' : livenessOf(stat, readFirstLine(`/proc/${pid}/task/${t}/status`));
    if (l === 'alive') return 'alive';
    if (l === 'exiting') most = 'exiting';
  }
  return most;
}

/**
 * Whether process `pid` of this host (started at `pidStart`, when known) can still write: 'alive';
 * 'exiting' (killed or exiting, still tearing down: it will be gone within moments); 'gone' (no
 * such process, a zombie not yet reaped, or its pid now belongs to a later process).
 */
export function processLiveness(pid: number, pidStart: string | null = null): Liveness {
  if (pid === process.pid) return 'alive';
  if (!processExists(pid)) return 'gone';
  const stat = processStat(pid);
  if (stat === null) return 'alive'; // no /proc: the signal test is all we have
  if (pidStart !== null && stat.start !== pidStart) return 'gone';
  const zombie = stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
  return livenessOf(stat, readFirstLine(`/proc/${pid}/status`), zombie ? otherThreads(pid) : 'gone');
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
  if (onThisHost(record)) return processLiveness(record.pid, record.pidStart) === 'gone' ? 'gone' : null;
  return now - mtimeMs > record.leaseMs ? 'expired' : null;
}

/** Whether the lock `record` is held on this host (same hostname and boot). */
function onThisHost(record: LockRecord): boolean {
  const here = hostIdentity();
  return record.host === here.host && (record.bootId === null || here.bootId === null || record.bootId === here.bootId);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates `file` with `content` only if it does not exist, atomically with its whole content. */
function createExclusive(file: string, content: string): boolean {
  const temp = path.join(path.dirname(file), `.lock.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    fs.writeFileSync(temp, content, { flag: 'wx' });
  } catch (error) {
    fs.rmSync(temp, { force: true }); // a full disk can leave it empty
    throw writeError(error, file);
  }
  try {
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw writeError(error, file);
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
  const exitWaitMs = options.exitWaitMs ?? DEFAULT_EXIT_WAIT_MS;
  let waitingSince: number | null = null;
  for (let attempt = 0; ; attempt++) {
    if (attempt >= 50) throw new Error(`${file}: could not take the lock (it keeps changing)`);
    if (createExclusive(file, content)) break;
    const held = inspect(file);
    if (held === null) continue; // released meanwhile
    const reason = staleness(held.record, held.mtimeMs);
    if (reason === null) {
      const holder = held.record!;
      // A holder that was killed and is still tearing down (a large process takes a moment) is waited for.
      const exiting = onThisHost(holder) && processLiveness(holder.pid, holder.pidStart) === 'exiting';
      if (exiting && (waitingSince === null || Date.now() - waitingSince < exitWaitMs)) {
        if (waitingSince === null) options.onWait?.(`waiting for process ${holder.pid}, which holds ${runDir} and is exiting`);
        waitingSince ??= Date.now();
        sleepSync(50);
        attempt--; // waiting is not a contested attempt
        continue;
      }
      throw new RunLockedError(runDir, holder.pid, holder.host === host ? null : holder.host, exiting ? exitWaitMs : null);
    }
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
      try {
        if (wasHeld && ours()) fs.rmSync(file, { force: true });
      } catch {
        // A file system gone read-only keeps the file: its holder (this process) is gone once it exits, so the next taker takes it over.
      }
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
