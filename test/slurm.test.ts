// The Slurm executor against a real scheduler (test/slurm/start.sh starts a one-node cluster on
// this machine; .ci/run does it in CI): a two-point synthetic sweep runs as a job array to the
// end, one task requeued mid-run (`scontrol requeue`, as a preemption does) resumes from its last
// checkpoint with every epoch recorded once, and the aggregate job after the array writes the
// table. Skipped, with the reason, where no Slurm answers; under CI=true that fails instead.
import { spawnSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { AggregateFile } from '../src/sweep/aggregateWrite';
import { RunConfig } from '../src/train/runConfig';
import { RunState } from '../src/train/runFiles';
import { recordKeys, runBoot, writeBootScript } from './sweep_helpers';

const TINY = [
  '--dataset', 'synthetic', '--limit', '256', '--validation', '128', '--cnn-epochs', '2', '--fcn-epochs', '1',
  '--batch-size', '64', '--lr', '1e-3', '--no-robustness', '--no-png',
];

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || (r.error?.message ?? '') };
}

/** Why no Slurm cluster answers here, or null when one does (a node idle or in use). */
function slurmUnreachable(): string | null {
  const r = sh('sinfo', ['-h', '-o', '%t']);
  if (!r.ok) return `sinfo failed: ${r.out || 'not installed'}`;
  return /^(idle|mix|alloc)/m.test(r.out) ? null : `no usable node (sinfo: ${r.out || 'nothing'})`;
}

const unreachable = slurmUnreachable();
const ci = process.env.CI === 'true';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | null | undefined | false, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

if (unreachable && !ci) {
  console.warn(`test/slurm.test.ts skipped: ${unreachable}; start a one-node cluster with bash test/slurm/start.sh`);
  test.skip(`Slurm executor against a real scheduler (skipped: ${unreachable}; start one with bash test/slurm/start.sh)`, () => {});
} else {
  describe('a sweep as a Slurm job array', () => {
    let tmp: string;
    const jobs: string[] = [];

    beforeAll(() => {
      if (unreachable) throw new Error(`CI=true but no Slurm cluster answers (${unreachable}): .ci/run starts one with test/slurm/start.sh`);
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-slurm-'));
    });
    afterAll(() => {
      if (jobs.length > 0) sh('scancel', jobs);
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    test('runs to the end; a task requeued mid-run resumes from its last checkpoint; the aggregate job follows', async () => {
      const boot = writeBootScript(tmp);
      const out = path.join(tmp, 'sweep');
      const submit = await runBoot(boot, ['sweep', '--out', out, '--executor', 'slurm', '--cpus-per-task', '1', '--grid', 'noise=0,0.5', '--seeds', '1', ...TINY], { WSR_SWEEP_CLI: boot });
      expect(submit.stderr).not.toMatch(/wsr-native: /);
      expect(submit.code).toBe(0);
      const m = /submitted job array (\d+) \(2 task\(s\)\) and aggregate job (\d+) after it/.exec(submit.stdout);
      expect(m).not.toBeNull();
      const [array, aggregate] = [m![1], m![2]];
      jobs.push(array, aggregate);
      const task = `${array}_1`;
      const point = (name: string) => path.join(out, name);
      const state = (name: string): RunState | null => {
        try {
          return JSON.parse(fs.readFileSync(path.join(point(name), 'checkpoints', 'state.json'), 'utf8')) as RunState;
        } catch {
          return null;
        }
      };

      // Requeue task 1 once its first epoch is on disk, as a preemption would.
      const before = await until('task 1 to complete an epoch', () => state('noise=0.5,seed=1'), 180_000);
      expect(before.phase).not.toBe('done');
      const requeue = sh('scontrol', ['requeue', task]);
      expect(requeue.out).toBe('');
      expect(requeue.ok).toBe(true);
      // A requeued job waits (BeginTime) before it may start again: let it start now.
      await until('the requeued task to start again', () => {
        const s = sh('squeue', ['-h', '-j', task, '-o', '%T %r']).out;
        if (/^PENDING/.test(s)) sh('scontrol', ['update', `JobId=${task}`, 'StartTime=now']);
        return /^RUNNING/.test(s) || (s === '' && state('noise=0.5,seed=1')?.phase === 'done');
      }, 120_000);
      await until('the array and the aggregate job to end', () => sh('squeue', ['-h', '-j', `${array},${aggregate}`]).out === '', 240_000);
      jobs.length = 0;

      for (const name of ['noise=0,seed=1', 'noise=0.5,seed=1']) {
        expect(state(name)).toMatchObject({ phase: 'done', completedEpoch: 3, conversionEpoch: 2 });
        expect(recordKeys(point(name))).toEqual(['1cnn', '2cnn', '2fcn', '3cnn', '3fcn']); // each epoch once
      }
      const resumed = JSON.parse(fs.readFileSync(path.join(point('noise=0.5,seed=1'), 'config.json'), 'utf8')) as RunConfig;
      expect(resumed.resumes).toHaveLength(1);
      expect(resumed.resumes[0].fromEpoch).toBeGreaterThanOrEqual(before.completedEpoch);
      expect(resumed.settings).toMatchObject({ noise: 0.5, seed: 1, threads: 1 });
      const log = fs.readFileSync(path.join(point('noise=0.5,seed=1'), 'train.log'), 'utf8');
      expect(log).toMatch(/SIGTERM: stopping/);
      expect(log).toMatch(new RegExp(`== .* wsr-native train --resume \\S+ .*, Slurm job ${array}_1 \\(restart 1\\)\\n`));
      expect(log).toMatch(/resuming after epoch [1-3] \(phase (cnn|branch)\)/);
      const taskOut = fs.readFileSync(path.join(out, 'slurm', `task-${array}_1.out`), 'utf8');
      expect(taskOut).toMatch(/point 1 \(noise=0\.5,seed=1\): train; log: /);
      expect(taskOut).toMatch(/point 1 \(noise=0\.5,seed=1\): resume; log: /);
      expect(JSON.parse(fs.readFileSync(path.join(point('noise=0,seed=1'), 'config.json'), 'utf8')).resumes).toHaveLength(0);

      const table = JSON.parse(fs.readFileSync(path.join(out, 'aggregate', 'aggregate.json'), 'utf8')) as AggregateFile;
      expect(table.rows.map((r) => [r.setting, r.n])).toEqual([['noise=0', 1], ['noise=0.5', 1]]);
      expect(table.missing).toEqual([]);
    }, 420_000);
  });
}
