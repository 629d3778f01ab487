// End to end on the synthetic dataset, through the real CLI: a tiny two-phase run writes every
// file of the run folder, the loss falls, the FCN reproduces the CNN at conversion, the distances
// are exactly 0 there and rise after; a run stopped by SIGINT and resumed ends with exactly the
// metrics of an uninterrupted run (CPU, same thread count); a run whose loss turns NaN stops.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CHILD_BOOT, cli } from './helpers/cli';
import { EpochRecord, PUBLISHED_COLUMNS, readMetricsJsonl } from '../src/report';
import { readCheckpoint } from '../src/train/checkpoint';
import { RunConfig, RunState } from '../src/train/runFolder';

const root = path.join(__dirname, '..');

// 512 training and 256 validation images, 2 CNN epochs then 2 of each branch, batches of 64.
const TINY = [
  '--dataset', 'synthetic', '--limit', '512', '--validation', '256', '--cnn-epochs', '2', '--fcn-epochs', '2',
  '--batch-size', '64', '--lr', '1e-3', '--threads', '2', '--device', 'cpu', '--no-png',
];

interface ChildRun {
  code: number | null;
  stdout: string;
  stderr: string;
  signal?: NodeJS.Signals | null;
}

/** Runs the CLI as a child process; `onStderr` sees stderr as it grows (with the child, to signal it). */
function child(args: string[], onStderr?: (text: string, proc: ChildProcess) => void): Promise<ChildRun> {
  const proc = spawn(process.execPath, ['-e', CHILD_BOOT, '--', ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  proc.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    onStderr?.(stderr, proc);
  });
  return new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const records = (run: string): EpochRecord[] => readMetricsJsonl(path.join(run, 'metrics.jsonl')).records;
const config = (run: string): RunConfig => JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as RunConfig;
const find = (rs: EpochRecord[], epoch: number, model: 'cnn' | 'fcn'): EpochRecord => {
  const r = rs.find((x) => x.epoch === epoch && x.model === model);
  if (!r) throw new Error(`no ${model} record for epoch ${epoch}`);
  return r;
};

let tmp: string;
let runA: string;
let resultA: ChildRun;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-e2e-'));
  runA = path.join(tmp, 'a');
  resultA = await child(['train', ...TINY, '--out', runA]);
}, 180_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('a tiny two-phase run', () => {
  test('finishes with exit 0, the summary on stdout and progress on stderr', () => {
    expect(resultA.stderr).not.toMatch(/wsr-native: /);
    expect(resultA.code).toBe(0);
    expect(resultA.stdout).toMatch(/^metric\s+CNN\s+FCN/);
    expect(resultA.stdout).toMatch(/best validation accuracy/);
    expect(resultA.stderr).toMatch(/cnn epoch 1\/2 .*loss/);
    expect(resultA.stderr).toMatch(/fcn epoch 4 \(branch 2\/2\)/);
  });

  test('writes every file of the run folder and releases its lock', () => {
    for (const f of ['config.json', 'metrics.csv', 'metrics.jsonl', 'checkpoints/state.json', 'checkpoints/cnn_phase.safetensors']) {
      expect(fs.existsSync(path.join(runA, f))).toBe(true);
    }
    for (const f of ['loss', 'accuracy', 'distances', 'robustness', 'divergence_map']) {
      expect(fs.readFileSync(path.join(runA, 'figures', `${f}.svg`), 'utf8')).toMatch(/^<svg|^<\?xml/);
    }
    const state = JSON.parse(fs.readFileSync(path.join(runA, 'checkpoints', 'state.json'), 'utf8')) as RunState;
    expect(state).toMatchObject({ phase: 'done', completedEpoch: 4, conversionEpoch: 2 });
    for (const m of [state.models.cnn, state.models.fcn!]) {
      expect(fs.existsSync(path.join(runA, 'checkpoints', m.file))).toBe(true);
      expect(fs.existsSync(path.join(runA, 'checkpoints', m.bestFile!))).toBe(true);
    }
    // Older epochs' checkpoints are pruned: the current one of each model (here also its best) and cnn_phase.
    expect(fs.readdirSync(path.join(runA, 'checkpoints')).filter((f) => f.endsWith('.safetensors')).sort()).toEqual(
      ['cnn-e0004.safetensors', 'cnn_phase.safetensors', 'fcn-e0004.safetensors'],
    );
    expect(fs.existsSync(path.join(runA, '.lock'))).toBe(false);
  });

  test('metrics.csv starts with exactly the published header', () => {
    const header = fs.readFileSync(path.join(runA, 'metrics.csv'), 'utf8').split('\n')[0];
    expect(header.startsWith(PUBLISHED_COLUMNS.join(',') + ',')).toBe(true);
    expect(PUBLISHED_COLUMNS.join(',')).toBe(
      'epoch,model,aug_type,aug,vcp,loss,val_loss,accuracy,val_accuracy,translation,noise,edge_noise,rotation,swap,dist_1,dist_4,cos_1,cos_4',
    );
  });

  test('records: CNN epochs 1–2, the conversion point, then both branches interleaved; the loss falls', () => {
    const rs = records(runA);
    expect(rs.map((r) => `${r.epoch}${r.model}/${r.phase}`)).toEqual([
      '1cnn/cnn', '2cnn/cnn', '2fcn/cnn', '3cnn/branch', '3fcn/branch', '4cnn/branch', '4fcn/branch',
    ]);
    expect(find(rs, 4, 'cnn').loss).toBeLessThan(find(rs, 1, 'cnn').loss);
    expect(find(rs, 4, 'fcn').loss).toBeLessThan(find(rs, 1, 'cnn').loss);
    for (const r of rs) {
      for (const k of ['val_loss', 'val_accuracy', 'translation', 'noise', 'edge_noise', 'rotation', 'swap'] as const) {
        expect(Number.isFinite(r[k])).toBe(true);
      }
    }
    // Test accuracy at the end of each phase and branch (and nowhere else).
    expect(rs.filter((r) => r.test_accuracy !== null).map((r) => `${r.epoch}${r.model}`)).toEqual(['2cnn', '4cnn', '4fcn']);
  });

  test('the FCN reproduces the CNN at conversion; its distances are exactly 0 there and rise after', () => {
    const conversion = config(runA).conversion!;
    expect(conversion.epoch).toBe(2);
    expect(conversion.images).toBe(256);
    expect(conversion.predictionsEqual).toBe(true);
    expect(conversion.maxRelDiff).toBeLessThan(1e-4);
    expect(conversion.maxAbsDiff).toBeLessThan(1e-4);
    expect(resultA.stderr).toMatch(/conversion at epoch 2: the FCN reproduces the CNN on 256 validation images/);

    const rs = records(runA);
    const atConversion = find(rs, 2, 'fcn');
    expect(atConversion.layers.map((l) => l.layer)).toEqual(['lc1', 'lc2', 'lc3']);
    const lc1 = atConversion.layers[0];
    expect([lc1.dist[1], lc1.dist[4], lc1.cos[1], lc1.cos[4], lc1.divergence]).toEqual([0, 0, 0, 0, 0]);
    expect(lc1.divergenceMap!.values.every((v) => v === 0)).toBe(true);
    // Same function: the same validation accuracy (and robustness) as the CNN it came from.
    const cnn2 = find(rs, 2, 'cnn');
    for (const k of ['val_accuracy', 'translation', 'noise', 'edge_noise', 'rotation', 'swap'] as const) expect(atConversion[k]).toBe(cnn2[k]);
    expect(atConversion.val_loss).toBeCloseTo(cnn2.val_loss, 5);

    const d3 = find(rs, 3, 'fcn').layers[0];
    const d4 = find(rs, 4, 'fcn').layers[0];
    expect(d3.dist[1]!).toBeGreaterThan(0);
    expect(d3.cos[4]!).toBeGreaterThan(0);
    expect(d4.dist[1]!).toBeGreaterThan(d3.dist[1]!);
    expect(d4.divergence).toBeGreaterThan(d3.divergence);
    expect(d4.divergenceMap).toMatchObject({ height: 14, width: 14 });
    expect(find(rs, 3, 'cnn').layers).toEqual([]);
  });

  test('config.json records settings, versions, device, threads, data checksums and the split', () => {
    const c = config(runA);
    expect(c.settings).toMatchObject({ dataset: 'synthetic', limit: 512, validation: 256, cnnEpochs: 2, fcnEpochs: 2, seed: 0, lr: 1e-3 });
    expect(c.package.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(c.device).toMatchObject({ name: 'cpu', kind: 'cpu' });
    expect(c.threads).toBe(2);
    expect(c.networks).toEqual({ cnn: { name: expect.any(String), parameters: 2875530 }, fcn: { name: expect.any(String), parameters: 11103626 } });
    expect(c.data.files.length).toBe(6);
    for (const f of c.data.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.data.split.disjoint.disjoint).toBe(true);
    expect(c.data.split.checksums.train).toMatchObject({ count: 512 });
    expect(c.data.split.description).toMatch(/validation: 256 images held out/);
  });

  test('checkpoints hold weights, optimizer state, counters and early-stopping state', () => {
    const state = JSON.parse(fs.readFileSync(path.join(runA, 'checkpoints', 'state.json'), 'utf8')) as RunState;
    // Skip the big arrays of the FCN: its meta and a few names are enough here.
    const fcn = readCheckpoint(path.join(runA, 'checkpoints', state.models.fcn!.file), (name) => !name.startsWith('optimizer/') && name !== 'param/lc1.weight');
    expect(fcn.meta).toMatchObject({ model: 'fcn', epoch: 4, epochsInPhase: 2, finished: true });
    expect(fcn.meta.optimizer).toEqual({ kind: 'adam', step: 16, parameters: 10 }); // 2 epochs × 8 batches
    expect(fcn.tensors.get('param/lc1.bias')!.length).toBe(14 * 14 * 64);
    expect(fcn.tensors.get('param/lc1.tied')!.length).toBe(64 * 3 * 5 * 5);
    const phase = readCheckpoint(path.join(runA, 'checkpoints', 'cnn_phase.safetensors'));
    expect(phase.tensors.get('optimizer/m/0')!.length).toBe(64 * 3 * 5 * 5);
    expect(phase.tensors.get('optimizer/v/9')!.length).toBe(10);
    expect(phase.meta).toMatchObject({ model: 'cnn', epoch: 2 });
    expect(phase.meta.optimizer).toEqual({ kind: 'adam', step: 16, parameters: 10 });
  });

  test('`report RUN` rebuilds the figures and prints the summary table', async () => {
    fs.rmSync(path.join(runA, 'figures'), { recursive: true });
    const r = await cli('report', runA, '--no-png');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(resultA.stdout);
    expect(fs.existsSync(path.join(runA, 'figures', 'distances.svg'))).toBe(true);
  });
});

describe('experiment presets', () => {
  test('`experiment 3` brings noise 0.5; a branch that ends stops while the other goes on', async () => {
    const run = path.join(tmp, 'exp3');
    const r = await child([
      'experiment', '3', '--dataset', 'synthetic', '--limit', '128', '--validation', '64', '--cnn-epochs', '1',
      '--fcn-epochs', '3', '--cnn-continue-epochs', '1', '--batch-size', '64', '--device', 'cpu', '--no-robustness',
      '--no-png', '--out', run,
    ]);
    expect(r.stderr).not.toMatch(/wsr-native: /);
    expect(r.code).toBe(0);
    // The preset's line says which of its values the flags changed.
    expect(r.stderr).toMatch(
      /experiment 3: noise 50%; CNN 50 epochs, then both branches 50 \(overridden: --cnn-epochs 1, --cnn-continue-epochs 1, --fcn-epochs 3\)\n/,
    );
    expect(r.stderr).toMatch(/experiment 3: CNN 1 epoch\(s\), then the CNN continued 1 and the FCN 3 \(early stopping patience 100\); noise σ 0\.5/);
    const c = config(run);
    expect(c.settings).toMatchObject({ experiment: 3, noise: 0.5, patience: 100, cnnEpochs: 1, fcnEpochs: 3, cnnContinueEpochs: 1 });
    expect(c.experiment).toEqual({ id: 3, description: expect.stringMatching(/noise 50%/) });
    const rs = records(run);
    expect(rs.map((x) => `${x.epoch}${x.model}`)).toEqual(['1cnn', '1fcn', '2cnn', '2fcn', '3fcn', '4fcn']);
    for (const x of rs) expect([x.aug_type, x.aug]).toEqual(['noise', 0.5]);
    expect(Number.isNaN(rs[0].translation)).toBe(true); // --no-robustness
    expect(rs.filter((x) => x.test_accuracy !== null).map((x) => `${x.epoch}${x.model}`)).toEqual(['1cnn', '2cnn', '4fcn']);
  }, 120_000);
});

describe('stop and resume', () => {
  test('SIGINT stops a run cleanly; a second writer is refused; --resume ends with the uninterrupted metrics', async () => {
    const runB = path.join(tmp, 'b');
    let pid = 0;
    let refused: Promise<{ code: number; stderr: string }> | null = null;
    const run = await child(['train', ...TINY, '--out', runB], (text, proc) => {
      if (refused || !/cnn epoch 1\/2 /.test(text)) return;
      pid = proc.pid!;
      // While the child holds the folder, another writer is refused; then Ctrl-C.
      refused = cli('train', '--resume', runB).then((r) => {
        proc.kill('SIGINT');
        return r;
      });
    });
    expect(refused).not.toBeNull();
    const r = await refused!;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`in use by another wsr-native process \\(pid ${pid}\\)`));
    const { code, stderr } = run;
    expect(code).toBe(130);
    expect(stderr).toMatch(/SIGINT: stopping/);
    expect(stderr).toMatch(/interrupted: the checkpoint of epoch \d is in .*Resume with: npx wsr-native train --resume /);
    const state = JSON.parse(fs.readFileSync(path.join(runB, 'checkpoints', 'state.json'), 'utf8')) as RunState;
    expect(state.completedEpoch).toBeGreaterThanOrEqual(1);
    expect(fs.existsSync(path.join(runB, '.lock'))).toBe(false);

    // Conflicting settings are refused; --threads may be given.
    const conflict = await cli('train', '--resume', runB, '--noise', '0.5');
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/--noise 0\.5 \(the run has noise = 0\)/);

    const resumed = await child(['train', '--resume', runB, '--threads', '2']);
    expect(resumed.stderr).not.toMatch(/wsr-native: /);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resuming after epoch ${state.completedEpoch}`));
    expect(resumed.stdout).toBe(resultA.stdout);
    const strip = (rs: EpochRecord[]) => rs.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(records(runB))).toEqual(strip(records(runA)));
    expect(config(runB).resumes).toHaveLength(1);
  }, 180_000);

  test('after kill -9 mid-run, --resume continues from the last completed epoch with the uninterrupted metrics', async () => {
    const runK = path.join(tmp, 'killed');
    const run = await child(['train', ...TINY, '--out', runK], (text, proc) => {
      // Killed during epoch 2, after epoch 1's checkpoint is on disk.
      if (/cnn epoch 2\/2 /.test(text)) proc.kill('SIGKILL');
    });
    expect(run.signal).toBe('SIGKILL');
    expect(fs.existsSync(path.join(runK, '.lock'))).toBe(true); // left behind by the dead process
    const resumed = await child(['train', '--resume', runK]);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/took over the lock of process \d+, which is gone/);
    expect(resumed.stderr).toMatch(/resuming after epoch \d/);
    const strip = (rs: EpochRecord[]) => rs.map(({ seconds: _s, ...rest }) => rest);
    expect(strip(records(runK))).toEqual(strip(records(runA)));
    // No duplicated or torn rows: one CSV row per (epoch, model), each with the header's cell count.
    const lines = fs.readFileSync(path.join(runK, 'metrics.csv'), 'utf8').trim().split('\n');
    const keys = lines.slice(1).map((l) => l.split(',').slice(0, 2).join(','));
    expect(new Set(keys).size).toBe(keys.length);
    const width = lines[0].split(',').length;
    expect(lines.every((l) => l.split(',').length === width)).toBe(true);
  }, 180_000);

  test('a NaN loss stops the run with a message and no checkpoint of the bad epoch', async () => {
    const run = path.join(tmp, 'nan');
    const r = await child([
      'train', '--dataset', 'synthetic', '--limit', '128', '--validation', '64', '--cnn-epochs', '2', '--fcn-epochs', '1',
      '--batch-size', '64', '--lr', '1e30', '--device', 'cpu', '--no-png', '--no-robustness', '--out', run,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cnn epoch 1: the training loss is (NaN|Infinity); training diverged\. The run stopped; no epoch had completed/);
    expect(fs.existsSync(path.join(run, 'checkpoints', 'state.json'))).toBe(false);
    expect(fs.existsSync(path.join(run, '.lock'))).toBe(false);
  }, 60_000);
});
