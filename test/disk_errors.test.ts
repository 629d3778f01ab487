// A file system that refuses a write ends a run with an error that names the file and says how to
// go on, and the run resumes once it is fixed, with exactly the metrics of an uninterrupted run:
// a full disk (a small tmpfs) and a run folder gone read-only mid-run (a read-only bind mount).
// CI runs as root, for whom file modes block nothing, so real mounts are needed: where mounting is
// impossible these tests skip, saying why, except under CI=true, where they fail. A data file that
// vanished before a resume is named too.
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { generateSynthetic, writeMnistFolder } from '../src/data';
import { EpochRecord } from '../src/report';
import { runRecords, withoutSeconds } from './helpers/runRecords';
import { runBoot, writeBootScript } from './sweep_helpers';

// 256 training and 128 validation images, 2 CNN epochs then 1 of each branch, batches of 64, one thread.
const TINY = [
  '--dataset', 'synthetic', '--limit', '256', '--validation', '128', '--cnn-epochs', '2', '--fcn-epochs', '1',
  '--batch-size', '64', '--lr', '1e-3', '--threads', '1', '--device', 'cpu', '--no-png', '--no-robustness',
];

let tmp: string;
let boot: string;
let reference: EpochRecord[];
const mounted: string[] = [];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Temporary files left anywhere in a run folder. */
const tempFiles = (run: string): string[] =>
  ['', 'checkpoints', 'figures'].flatMap((d) => (fs.existsSync(path.join(run, d)) ? fs.readdirSync(path.join(run, d)).filter((f) => f.endsWith('.tmp')) : []));

function mount(...args: string[]): void {
  execFileSync('mount', args, { stdio: 'pipe' });
}

/**
 * Remounts a bind mount read-only. The kernel refuses while a file in it is open for writing
 * ("mount point is busy"), which a running training often has for a moment: try again until a
 * moment comes when none is (about 2 s at most).
 */
function remountReadOnly(dir: string): void {
  for (let attempt = 1; ; attempt++) {
    try {
      mount('-o', 'remount,ro,bind', dir);
      return;
    } catch (error) {
      if (attempt >= 200 || !/busy/.test((error as Error).message)) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
}

/** Why this machine cannot mount a tmpfs (not root, no CAP_SYS_ADMIN), or null when it can. */
function cannotMount(): string | null {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-mount-probe-'));
  try {
    mount('-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe);
    execFileSync('umount', [probe]);
    return null;
  } catch (error) {
    return `cannot mount a tmpfs here (${(error as Error).message.split('\n')[0]})`;
  } finally {
    fs.rmdirSync(probe);
  }
}

const noMount = cannotMount();
if (noMount && process.env.CI === 'true') {
  test('mounting works (CI runs as root: the full-disk and read-only tests need it)', () => {
    throw new Error(`${noMount}; CI must run these tests`);
  });
} else if (noMount) {
  console.warn(`test/disk_errors: the full-disk and read-only tests skip: ${noMount}`);
}
const withMounts = noMount ? describe.skip : describe;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-disk-'));
  boot = writeBootScript(tmp);
  if (noMount) return;
  const ref = path.join(tmp, 'reference');
  const r = await runBoot(boot, ['train', ...TINY, '--out', ref], {});
  if (r.code !== 0) throw new Error(`the reference run failed:\n${r.stderr}`);
  reference = runRecords(ref);
}, 120_000);
afterAll(() => {
  for (const dir of mounted.reverse()) {
    try {
      execFileSync('umount', [dir], { stdio: 'pipe' });
    } catch {
      // Unmounted by the test already.
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

withMounts('a file system that refuses a write', () => {
  test('a full disk names the file being written and says how to resume; once space is freed the run resumes with the uninterrupted metrics', async () => {
    const disk = path.join(tmp, 'small-disk');
    fs.mkdirSync(disk);
    // Room for the CNN's checkpoints (34.5 MB each) and the FCN's at the conversion (46 MB: no optimizer
    // state yet), with megabytes to spare for the small files, but not for the FCN's first branch epoch (135 MB).
    mount('-t', 'tmpfs', '-o', 'size=200m', 'tmpfs', disk);
    mounted.push(disk);
    const run = path.join(disk, 'run');
    const full = await runBoot(boot, ['train', ...TINY, '--out', run], {});
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(
      new RegExp(
        `wsr-native: could not write ${escape(run)}/checkpoints/[\\w-]+\\.safetensors: ENOSPC: no space left on device, write\\. ` +
          `Free some space on its file system \\(or raise the quota\\), then resume with: npx wsr-native train --resume ${escape(run)} ` +
          `\\(the last completed epoch's checkpoint is kept\\)\\.\\n`,
      ),
    );
    expect(tempFiles(run)).toEqual([]); // the failed write took its temporary file with it

    mount('-o', 'remount,size=1g', disk);
    const resumed = await runBoot(boot, ['train', '--resume', run], {});
    expect(resumed.stderr).not.toMatch(/wsr-native: /);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/took over the lock of process \d+, which is gone|resuming after epoch/);
    expect(withoutSeconds(runRecords(run))).toEqual(withoutSeconds(reference));
    expect(tempFiles(run)).toEqual([]);
  }, 180_000);

  test('a run folder gone read-only mid-run names the file and says how to resume; made writable, the run resumes with the uninterrupted metrics', async () => {
    const run = path.join(tmp, 'read-only');
    fs.mkdirSync(run);
    let remounted = false;
    const failed = await runBoot(boot, ['train', ...TINY, '--out', run], {}, (text) => {
      // Once the first epoch is on its way to disk, the folder becomes read-only under the run.
      if (remounted || !/cnn epoch 1\/2 /.test(text)) return;
      remounted = true;
      mount('--bind', run, run);
      mounted.push(run);
      remountReadOnly(run);
    });
    expect(remounted).toBe(true);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      new RegExp(
        // (A plain system error when the folder turned read-only just as an old checkpoint was removed: it names its file too.)
        `wsr-native: (could not write ${escape(run)}/\\S+: EROFS: read-only file system, \\w+( '[^']*'( -> '[^']*')?)?|EROFS: read-only file system, \\w+ '${escape(run)}/[^']*')\\. ` +
          `Make its file system writable again \\(it is mounted read-only\\), then (resume with: npx wsr-native train --resume ${escape(run)}|run the same command again)`,
      ),
    );
    // Still read-only: the resume is refused the same way, naming the lock it cannot write.
    const refused = await runBoot(boot, ['train', '--resume', run], {});
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`could not write ${escape(run)}/(\\.lock|config\\.json): EROFS: read-only file system`));

    execFileSync('umount', [run]);
    const resumed = await runBoot(boot, ['train', '--resume', run], {});
    expect(resumed.stderr).not.toMatch(/wsr-native: /);
    expect(resumed.code).toBe(0);
    expect(withoutSeconds(runRecords(run))).toEqual(withoutSeconds(reference));
    expect(tempFiles(run)).toEqual([]);
  }, 180_000);
});

describe('data that vanished', () => {
  test('a resumed run whose data file is gone names the file and says to put it back', async () => {
    const data = path.join(tmp, 'data');
    writeMnistFolder(path.join(data, 'mnist'), generateSynthetic({ seed: 2, trainPerFile: 80, testCount: 100, format: 'mnist' }), { gzip: true });
    const run = path.join(tmp, 'mnist-run');
    const args = ['--dataset', 'mnist', '--data-dir', data, '--cnn-epochs', '2', '--fcn-epochs', '1', '--batch-size', '50', '--threads', '1', '--no-png', '--no-robustness'];
    const first = await runBoot(boot, ['train', ...args, '--stop-after-epochs', '1', '--out', run], {});
    expect(first.code).toBe(0);
    fs.rmSync(path.join(data, 'mnist', 'train-labels-idx1-ubyte.gz'));
    const resumed = await runBoot(boot, ['train', '--resume', run], {});
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toContain(`wsr-native: ${path.join(data, 'mnist')}: missing train-labels-idx1-ubyte(.gz) of the four MNIST files`);
    expect(resumed.stderr).toContain(`The run needs the data it started with: put it back, then resume with: npx wsr-native train --resume ${run}`);
  }, 120_000);
});
