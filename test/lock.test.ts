// The run lock across hosts: another host's lock is refused while its lease runs and taken over
// once it expired; this host's lock of a dead process, of a zombie (killed, its parent gone, not
// yet reaped), or of a pid now reused by a later process, is taken over at once; the holder renews
// its lease and notices a takeover.
import { spawn, spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import {
  LOCK_FILE, LockRecord, RunLockedError, acquireRunLock, hostIdentity, livenessOf, parseProcessStat, processLiveness, processStartTime, processStat,
} from '../src/train/lock';
import { TS_REQUIRE_HOOK } from '../src/util/tsRequireHook';

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-lock-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const freshDir = (): string => {
  const dir = path.join(tmp, `run${n++}`);
  fs.mkdirSync(dir);
  return dir;
};

/** Writes a lock record as another holder would, its file last touched `ageMs` ago. */
function writeLock(dir: string, fields: Partial<LockRecord>, ageMs: number): string {
  const record: LockRecord = {
    format: 'wsr-native-lock', version: 1, host: 'node-17.cluster', bootId: 'b0a7d00d-0000-4000-8000-000000000017',
    pid: 4242, pidStart: '123456', token: 'theirs', acquired: new Date(Date.now() - ageMs).toISOString(), leaseMs: 120_000,
    ...fields,
  };
  const file = path.join(dir, LOCK_FILE);
  fs.writeFileSync(file, JSON.stringify(record));
  const touched = new Date(Date.now() - ageMs);
  fs.utimesSync(file, touched, touched);
  return file;
}

const readRecord = (dir: string): LockRecord => JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8')) as LockRecord;

/** A module for plain child processes (the holders and takers here) that loads src/train/lock.ts through the TypeScript require hook. */
async function compiledLock(): Promise<string> {
  const out = path.join(tmp, 'lock.js');
  if (!fs.existsSync(out)) {
    const hook = TS_REQUIRE_HOOK.replace("require('typescript')", `require(${JSON.stringify(require.resolve('typescript'))})`);
    fs.writeFileSync(out, `${hook}\nmodule.exports = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'train', 'lock.ts'))});\n`);
  }
  return out;
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('a lock held on another host', () => {
  test('is refused while its lease runs, naming the host and pid, and left as it was', () => {
    const dir = freshDir();
    const file = writeLock(dir, {}, 60_000); // renewed a minute ago, lease two minutes
    const before = fs.readFileSync(file, 'utf8');
    expect(() => acquireRunLock(dir)).toThrow(RunLockedError);
    expect(() => acquireRunLock(dir)).toThrow(/in use by another wsr-native process \(pid 4242\) on host node-17\.cluster/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  test('is refused even when its pid is dead here: that pid is another machine’s', () => {
    const dir = freshDir();
    writeLock(dir, { pid: deadPid() }, 1_000);
    expect(() => acquireRunLock(dir)).toThrow(/on host node-17\.cluster/);
  });

  test('is taken over once its lease expired, and says so', () => {
    const dir = freshDir();
    writeLock(dir, {}, 121_000);
    const lock = acquireRunLock(dir);
    expect(lock.tookOver).toEqual({ pid: 4242, host: 'node-17.cluster', reason: 'expired' });
    expect(readRecord(dir)).toMatchObject({ host: os.hostname(), pid: process.pid, token: lock.record.token });
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);
  });

  test('a lease is the holder’s own: a short one expires sooner', () => {
    const dir = freshDir();
    writeLock(dir, { leaseMs: 5_000 }, 6_000);
    const lock = acquireRunLock(dir);
    expect(lock.tookOver?.reason).toBe('expired');
    lock.release();
  });

  test('this host before a reboot (another boot id) counts as another host', () => {
    const dir = freshDir();
    const { host } = hostIdentity();
    writeLock(dir, { host, bootId: 'an-earlier-boot', pid: process.pid }, 1_000);
    expect(() => acquireRunLock(dir)).toThrow(RunLockedError);
    writeLock(dir, { host, bootId: 'an-earlier-boot', pid: process.pid }, 200_000);
    const lock = acquireRunLock(dir);
    expect(lock.tookOver?.reason).toBe('expired');
    lock.release();
  });
});

describe('a lock held on this host', () => {
  const { host, bootId } = hostIdentity();

  test('of a live process is refused however old its lease (a stopped process still holds it)', () => {
    const dir = freshDir();
    writeLock(dir, { host, bootId, pid: 1, pidStart: processStartTime(1) }, 3_600_000);
    expect(() => acquireRunLock(dir)).toThrow(/in use by another wsr-native process \(pid 1\);/);
  });

  test('of a dead process is taken over at once', () => {
    const dir = freshDir();
    const pid = deadPid();
    writeLock(dir, { host, bootId, pid }, 0);
    const lock = acquireRunLock(dir);
    expect(lock.tookOver).toEqual({ pid, host, reason: 'gone' });
    expect(lock.tookOverFrom).toBe(pid);
    lock.release();
  });

  test('whose pid now belongs to a later process (pid reuse) is taken over at once', () => {
    if (processStartTime(process.pid) === null) return; // no /proc: pid reuse cannot be seen
    const dir = freshDir();
    writeLock(dir, { host, bootId, pid: 1, pidStart: 'not-pid-1s-start-time' }, 0);
    const lock = acquireRunLock(dir);
    expect(lock.tookOver).toEqual({ pid: 1, host, reason: 'gone' });
    lock.release();
  });

  test('of a zombie (killed, its parent gone, never reaped) is taken over at once: it can write nothing', async () => {
    if (processStat(process.pid) === null) return; // no /proc: a zombie cannot be told from a live process
    const dir = freshDir();
    // The holder's parent is a shell that execs sleep, which never collects its children: once the
    // holder is killed it stays a zombie (as under a container init that never reaps), not gone.
    const script = `require(${JSON.stringify(await compiledLock())}).acquireRunLock(${JSON.stringify(dir)}); setInterval(() => {}, 1000);`;
    const parent = spawn('sh', ['-c', `"$0" -e "$1" & exec sleep 60`, process.execPath, script], { stdio: 'ignore' });
    try {
      const file = path.join(dir, LOCK_FILE);
      for (let i = 0; i < 300 && !fs.existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
      const { pid } = readRecord(dir);
      expect(processLiveness(pid)).toBe('alive');
      expect(() => acquireRunLock(dir)).toThrow(RunLockedError);
      process.kill(pid, 'SIGKILL');
      for (let i = 0; i < 200 && processStat(pid)?.state !== 'Z'; i++) await new Promise((r) => setTimeout(r, 25));
      expect(processStat(pid)?.state).toBe('Z'); // still there: a zombie
      const started = Date.now();
      const lock = acquireRunLock(dir); // (its other threads may still be exiting for a moment: that is waited for)
      expect(Date.now() - started).toBeLessThan(5000); // not the wait for a live process: a zombie is gone
      expect(lock.tookOver).toEqual({ pid, host: hostIdentity().host, reason: 'gone' });
      lock.release();
    } finally {
      parent.kill('SIGKILL'); // its zombie child goes to init, which reaps it
    }
  });

  test('/proc says who can still write: a zombie cannot, one that is exiting or has SIGKILL pending is about to be gone', () => {
    const stat = parseProcessStat('4242 (node (a) b) S 1 4242 4242 0 -1 4194560 5 0 0 0 1 2 0 0 20 0 11 0 987654 1000 100')!;
    expect(stat).toEqual({ state: 'S', flags: 4194560, start: '987654' });
    expect(parseProcessStat('garbage')).toBeNull();
    const status = (sigPnd: string, shdPnd: string): string => `Name:\tnode\nSigPnd:\t${sigPnd}\nShdPnd:\t${shdPnd}\n`;
    expect(livenessOf(stat, status('0000000000000000', '0000000000000000'))).toBe('alive');
    expect(livenessOf(stat, status('0000000000000000', '0000000000000100'))).toBe('exiting'); // SIGKILL sent, not yet acted on
    expect(livenessOf(stat, status('0000000000000002', '0000000000004000'))).toBe('alive'); // SIGINT and SIGTERM pending: it may stop cleanly
    expect(livenessOf({ ...stat, flags: stat.flags | 0x4 }, null)).toBe('exiting'); // PF_EXITING
    expect(livenessOf({ ...stat, state: 'Z', flags: stat.flags | 0x4 }, status('0', '100'))).toBe('gone');
    expect(livenessOf({ ...stat, state: 'X' }, null)).toBe('gone');
    expect(livenessOf({ ...stat, state: 'Z' }, null, 'exiting')).toBe('exiting'); // its other threads are still exiting
    expect(livenessOf({ ...stat, state: 'Z' }, null, 'alive')).toBe('alive'); // its leader ended alone; other threads run
    expect(processLiveness(process.pid)).toBe('alive');
    expect(processLiveness(deadPid())).toBe('gone');
  });

  test('an unreadable lock file is replaced', () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, LOCK_FILE), '{"torn');
    const lock = acquireRunLock(dir);
    expect(lock.tookOver?.reason).toBe('unreadable');
    lock.release();
  });
});

describe('the holder', () => {
  test('renews its lease by touching the file, and release leaves another holder’s lock alone', () => {
    const dir = freshDir();
    const lock = acquireRunLock(dir);
    const file = path.join(dir, LOCK_FILE);
    const old = new Date(Date.now() - 100_000);
    fs.utimesSync(file, old, old);
    expect(lock.renew()).toBe(true);
    expect(Date.now() - fs.statSync(file).mtimeMs).toBeLessThan(10_000);

    // Someone took it over (this process was frozen past its lease): renewal says so, once.
    const lost: string[] = [];
    const second = acquireRunLock(freshDir(), { onLost: (m) => lost.push(m) });
    const secondFile = second.file;
    writeLock(path.dirname(secondFile), {}, 0);
    expect(second.renew()).toBe(false);
    expect(second.renew()).toBe(false);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toMatch(/taken over by another process/);
    second.release();
    expect(readRecord(path.dirname(secondFile)).token).toBe('theirs');
    lock.release();
  });

  test('the timer renews the lease while the holder runs', async () => {
    const dir = freshDir();
    const file = path.join(dir, LOCK_FILE);
    // A child holds the lock with a 400 ms renewal; we age the file and watch the child touch it again.
    const child = spawn(process.execPath, [
      '-e',
      `require(${JSON.stringify(await compiledLock())}).acquireRunLock(${JSON.stringify(dir)}, { leaseMs: 1600, renewMs: 400 });
       process.stdout.write('held'); setTimeout(() => {}, 60000);`,
    ]);
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const old = new Date(Date.now() - 100_000);
      fs.utimesSync(file, old, old);
      const age = (): number => Date.now() - fs.statSync(file).mtimeMs;
      for (let i = 0; i < 200 && age() > 50_000; i++) await new Promise((r) => setTimeout(r, 100));
      expect(age()).toBeLessThan(50_000);
      expect(readRecord(dir)).toMatchObject({ pid: child.pid, leaseMs: 1600 });
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
    }
    // kill -9: on this host, its process gone, so taken over at once.
    const lock = acquireRunLock(dir);
    expect(lock.tookOver).toMatchObject({ pid: child.pid, reason: 'gone' });
    lock.release();
  });

  test('two takers of one stale lock: exactly one wins', async () => {
    const dir = freshDir();
    writeLock(dir, {}, 500_000);
    const compiled = await compiledLock();
    const script = `const { acquireRunLock } = require(${JSON.stringify(compiled)});
      try { acquireRunLock(${JSON.stringify(dir)}); process.stdout.write('won'); setTimeout(() => {}, 3000); }
      catch (e) { process.stdout.write(e.name); }`;
    const children = [0, 1, 2].map(() => spawn(process.execPath, ['-e', script]));
    const results = await Promise.all(
      children.map(
        (child) =>
          new Promise<string>((resolve) => {
            let out = '';
            child.stdout.on('data', (d: Buffer) => {
              out += d.toString();
              if (out === 'won' || out === 'RunLockedError') resolve(out);
            });
            child.on('close', () => resolve(out));
          }),
      ),
    );
    for (const child of children) child.kill('SIGKILL');
    await Promise.all(children.map((child) => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('close', r)))));
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    expect(results.filter((r) => r === 'RunLockedError')).toHaveLength(2);
  });
});
