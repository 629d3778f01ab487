// A real sweep through the CLI on the local executor, on the synthetic dataset: a pool of two
// training job children; Ctrl-C stops them cleanly and a re-run resumes the started points (each epoch
// recorded once) and runs the rest, then aggregates; a third run skips everything; a point that
// fails is reported with its log while the others finish, and the sweep exits non-zero. A sweep
// killed with kill -9 leaves no orphan: its children stop on their own, and a re-run right after it
// waits for them and resumes their points; a point held by a live process of this host is waited
// for, one held by another host is shown as running there, and neither counts as failed.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { RunConfig } from '../src/train/runConfig';
import { RunState } from '../src/train/runFiles';
import { AggregateFile } from '../src/sweep/aggregateWrite';
import { SweepFile } from '../src/sweep/folder';
import { LOCK_FILE, LockRecord, processLiveness } from '../src/train/lock';
import { TS_REQUIRE_HOOK } from '../src/util/tsRequireHook';
import { spawn } from 'child_process';
import { ChildRun, recordKeys, runBoot, writeBootScript, writeJobBootScript } from './sweep_helpers';

// 256 training and 128 validation images, batches of 64, one CNN epoch then one of each branch; one thread per child.
const TINY = ['--limit', '256', '--validation', '128', '--batch-size', '64', '--no-robustness', '--no-png', '--cnn-epochs', '1'];

let tmp: string;
let boot: string;
let env: NodeJS.ProcessEnv;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-sweep-local-'));
  boot = writeBootScript(tmp);
  env = { WSR_JOB_SCRIPT: writeJobBootScript(tmp) };
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const json = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const state = (run: string): RunState | null => (fs.existsSync(path.join(run, 'checkpoints', 'state.json')) ? json<RunState>(path.join(run, 'checkpoints', 'state.json')) : null);

describe('a local sweep', () => {
  const args = (lr = '1e-3') => ['sweep', '--out', path.join(tmp, 's'), '--grid', 'noise=0,0.5', '--seeds', '1-2', '--jobs', '2', '--dataset', 'synthetic', ...TINY, '--fcn-epochs', '1', '--lr', lr];
  const point = (name: string) => path.join(tmp, 's', name);
  const names = ['noise=0,seed=1', 'noise=0,seed=2', 'noise=0.5,seed=1', 'noise=0.5,seed=2'];
  let interrupted: ChildRun;
  let resumed: ChildRun;

  beforeAll(async () => {
    // Ctrl-C once the first epoch of a point is on disk.
    let sent = false;
    interrupted = await runBoot(boot, args(), env, (text, proc) => {
      if (!sent && /\] cnn epoch 1\/1 /.test(text)) {
        sent = true;
        proc.kill('SIGINT');
      }
    });
    resumed = await runBoot(boot, args(), env);
  }, 300_000);

  test('SIGINT stops the running points, each keeping its last checkpoint; nothing else starts', () => {
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/SIGINT: stopping the running points, each keeping its last completed epoch's checkpoint/);
    expect(interrupted.stderr).toMatch(/interrupted: re-run the same command \(or wsr-native sweep --out \S+\) to resume/);
    expect(interrupted.stderr).toMatch(/^start noise=0,seed=1: train$/m);
    expect(interrupted.stderr).toMatch(/^start noise=0,seed=2: train$/m);
    expect(interrupted.stderr).not.toMatch(/start noise=0\.5/);
    for (const name of names.slice(0, 2)) expect(fs.existsSync(path.join(point(name), '.lock'))).toBe(false);
    const sweep = json<SweepFile>(path.join(tmp, 's', 'sweep.json'));
    expect(sweep.points.map((p) => p.name)).toEqual(names);
  });

  test('the re-run resumes the started points, runs the others, and aggregates', () => {
    expect(resumed.stderr).not.toMatch(/wsr-native: /);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/^start noise=0,seed=1: resume$/m);
    expect(resumed.stderr).toMatch(/^start noise=0\.5,seed=2: train$/m);
    for (const name of names) {
      expect(state(point(name))).toMatchObject({ phase: 'done', completedEpoch: 2, conversionEpoch: 1 });
      // Every epoch once: the CNN phase, the conversion record, one epoch of each branch.
      expect(recordKeys(point(name))).toEqual(['1cnn', '1fcn', '2cnn', '2fcn']);
    }
    for (const name of names.slice(0, 2)) {
      const config = json<RunConfig>(path.join(point(name), 'config.json'));
      expect(config.resumes).toHaveLength(1);
      expect(config.settings).toMatchObject({ seed: Number(name.slice(-1)), noise: 0, threads: 1, dataset: 'synthetic' });
      const log = fs.readFileSync(path.join(point(name), 'train.log'), 'utf8');
      expect(log.match(/^== .* wsr-native train /gm)).toHaveLength(2);
      expect(log).toMatch(/== .* wsr-native train --resume \S+ --dataset synthetic .* --seed \d --threads 1\n/);
      expect(log).toMatch(/SIGINT: stopping/);
    }
    for (const name of names.slice(2)) expect(json<RunConfig>(path.join(point(name), 'config.json')).resumes).toHaveLength(0);
    const aggregate = json<AggregateFile>(path.join(tmp, 's', 'aggregate', 'aggregate.json'));
    expect(aggregate.rows.map((r) => [r.setting, r.n])).toEqual([['noise=0', 2], ['noise=0.5', 2]]);
    expect(aggregate.missing).toEqual([]);
    expect(resumed.stdout).toMatch(/\| `noise=0\.5` \| 2\/2 \| \d+\.\d\d ± \d+\.\d\d% \|/);
  });

  test('a third run skips every finished point; a changed spec is refused', async () => {
    const again = await runBoot(boot, args(), env);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/4 of 4 points finished before; 0 to run/);
    expect(again.stderr).not.toMatch(/^start /m);
    const changed = await runBoot(boot, args('1e-2'), env);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/holds a sweep of another spec \(train lr: 0\.001 → 0\.01\)\. Only grid values and seeds can be added/);
  }, 120_000);
});

describe('a point that fails', () => {
  test('is reported with its log path; the others finish; the sweep exits non-zero', async () => {
    const out = path.join(tmp, 'f');
    // cifar10 from an empty data folder fails at once; synthetic runs (its CNN phase only).
    const empty = path.join(tmp, 'no-data');
    fs.mkdirSync(empty);
    const run = await runBoot(boot, ['sweep', '--out', out, '--grid', 'dataset=cifar10,synthetic', '--seeds', '1', '--jobs', '2', '--data-dir', empty, ...TINY, '--fcn-epochs', '0'], env);
    expect(run.code).toBe(1);
    const log = path.join(out, 'dataset=cifar10,seed=1', 'train.log');
    expect(run.stderr).toMatch(new RegExp(`failed dataset=cifar10,seed=1 after \\d:\\d\\d: exit 1; wsr-native: .*${empty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*; log: ${log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(run.stderr).toMatch(/^finished dataset=synthetic,seed=1/m);
    expect(fs.readFileSync(log, 'utf8')).toMatch(/wsr-native: /);
    expect(state(path.join(out, 'dataset=synthetic,seed=1'))?.phase).toBe('done');
    const aggregate = json<AggregateFile>(path.join(out, 'aggregate', 'aggregate.json'));
    expect(aggregate.missing).toEqual([{ name: 'dataset=cifar10,seed=1', status: 'missing', note: `no run started: see ${log}` }]);
  }, 180_000);
});

/** The pids of the processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

const until = async (done: () => boolean, ms: number): Promise<boolean> => {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) if (done()) return true;
  return done();
};

describe('a sweep killed with kill -9', () => {
  test('leaves no orphan: its children stop on their own; a re-run right after waits for them and resumes their points, none failed', async () => {
    const out = path.join(tmp, 'k');
    const args = ['sweep', '--out', out, '--grid', 'noise=0,0.5', '--seeds', '1', '--jobs', '2', '--dataset', 'synthetic', ...TINY, '--fcn-epochs', '1'];
    let orphans: number[] = [];
    const killed = await runBoot(boot, args, env, (text, proc) => {
      // kill -9 once a point's first epoch is done, both points running.
      if (orphans.length > 0 || !/\] cnn epoch 1\/1 /.test(text)) return;
      orphans = childrenOf(proc.pid!);
      proc.kill('SIGKILL');
    });
    expect(killed.signal).toBe('SIGKILL');
    expect(orphans).toHaveLength(2);
    // Re-run at once, while the orphans may still be stopping.
    const rerun = await runBoot(boot, args, env);
    expect(rerun.stderr).not.toMatch(/^failed |in use by another/m);
    expect(rerun.code).toBe(0);
    // The orphans stopped by themselves (the re-run resumed their points after them), and are gone.
    expect(await until(() => orphans.every((pid) => processLiveness(pid) === 'gone'), 30_000)).toBe(true);
    for (const name of ['noise=0,seed=1', 'noise=0.5,seed=1']) {
      const log = fs.readFileSync(path.join(out, name, 'train.log'), 'utf8');
      expect(log).toMatch(/the sweep that started this run is gone \(its channel to this process closed\): stopping/);
      expect(recordKeys(path.join(out, name))).toEqual(['1cnn', '1fcn', '2cnn', '2fcn']);
      expect(state(path.join(out, name))?.phase).toBe('done');
    }
  }, 300_000);
});

describe('a re-run that finds a point held by another process', () => {
  const args = (out: string) => ['sweep', '--out', out, '--grid', 'noise=0', '--seeds', '1', '--jobs', '1', '--dataset', 'synthetic', ...TINY, '--fcn-epochs', '0'];

  test('of this host waits for it, saying so, then runs the point', async () => {
    const out = path.join(tmp, 'held-here');
    const dir = path.join(out, 'noise=0,seed=1');
    // A process of this host holds the point's folder for 3 s (as an earlier sweep's child finishing its stop would).
    const hook = TS_REQUIRE_HOOK.replace("require('typescript')", `require(${JSON.stringify(require.resolve('typescript'))})`);
    const lock = JSON.stringify(path.join(__dirname, '..', 'src', 'train', 'lock.ts'));
    const holder = spawn(process.execPath, ['-e', `${hook}\nconst l = require(${lock}).acquireRunLock(${JSON.stringify(dir)}); process.stdout.write('held'); setTimeout(() => l.release(), 3000);`]);
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const run = await runBoot(boot, args(out), env);
    expect(run.stderr).toMatch(new RegExp(`^wait noise=0,seed=1: held by process ${holder.pid} of this host .*: waiting for it to let go$`, 'm'));
    expect(run.stderr).toMatch(/^start noise=0,seed=1: train$/m);
    expect(run.code).toBe(0);
    expect(state(dir)?.phase).toBe('done');
  }, 120_000);

  test('of another host is shown as running there, and not counted as failed', async () => {
    const out = path.join(tmp, 'held-elsewhere');
    const dir = path.join(out, 'noise=0,seed=1');
    fs.mkdirSync(dir, { recursive: true });
    const record: LockRecord = {
      format: 'wsr-native-lock', version: 1, host: 'node-17.cluster', bootId: null, pid: 4242, pidStart: null, token: 'theirs',
      acquired: new Date().toISOString(), leaseMs: 120_000,
    };
    fs.writeFileSync(path.join(dir, LOCK_FILE), JSON.stringify(record));
    const run = await runBoot(boot, args(out), env);
    expect(run.stderr).toMatch(/^running elsewhere noise=0,seed=1: running on host node-17\.cluster \(pid 4242\), which holds its folder; not run here, and not failed/m);
    expect(run.stderr).not.toMatch(/^(failed|start) /m);
    expect(run.code).toBe(1); // the sweep is not complete
    expect(fs.existsSync(path.join(dir, 'config.json'))).toBe(false);
  }, 120_000);
});
