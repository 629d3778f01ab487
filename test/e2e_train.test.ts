// End to end on the synthetic dataset, through the real CLI: a tiny two-phase run writes every
// file of the run folder, the loss falls, the FCN reproduces the CNN at conversion, the distances
// are exactly 0 there and rise after; a run stopped by SIGINT, or killed with kill -9 (and left a
// zombie), and resumed ends with exactly the metrics of an uninterrupted run (CPU, same thread
// count); a run whose loss turns NaN stops.
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { CHILD_BOOT, cli } from './helpers/cli';
import { EpochRecord, PUBLISHED_COLUMNS } from '../src/report';
import { runRecords, withoutSeconds } from './helpers/runRecords';
import { createHash } from 'crypto';
import { Sequential } from '../src/nn/model';
import { networkByName } from '../src/nn/spec';
import { Tensor } from '../src/tensor';
import { RunConfig } from '../src/train/runConfig';
import { RunState } from '../src/train/runFiles';
import { readCheckpoint } from '../src/train/runFolder';
import { readSafetensors, writeSafetensors } from '../src/safetensors';
import { reference, referenceHasNumpy, referenceSummary, sha256Of } from './helpers/safetensors';
import { processStat } from '../src/train/lock';

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
    const rs = runRecords(runA);
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

    const rs = runRecords(runA);
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
    expect(c.networks).toEqual({ cnn: { name: expect.any(String), parameters: 2875530, classes: 10 }, fcn: { name: expect.any(String), parameters: 11103626, classes: 10 } });
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

describe('weights other tools can load', () => {
  const runState = (): RunState => JSON.parse(fs.readFileSync(path.join(runA, 'checkpoints', 'state.json'), 'utf8')) as RunState;

  test('an independent safetensors reader reads every tensor of the checkpoints: names, shapes, values', () => {
    for (const name of [runState().models.fcn!.file, 'cnn_phase.safetensors']) {
      const file = path.join(runA, 'checkpoints', name);
      const theirs = referenceSummary(file);
      const ours = readCheckpoint(file);
      expect(theirs.metadata).toMatchObject({ format: 'wsr-native-checkpoint', version: '2' });
      expect(JSON.parse(theirs.metadata.optimizer)).toEqual(ours.meta.optimizer);
      expect(Object.keys(theirs.tensors).sort()).toEqual([...ours.tensors.keys()].sort());
      for (const [tensor, values] of ours.tensors) {
        expect([tensor, theirs.tensors[tensor].dtype, theirs.tensors[tensor].shape]).toEqual([tensor, 'F32', ours.shapes.get(tensor)]);
        expect([tensor, theirs.tensors[tensor].sha256]).toEqual([tensor, sha256Of(values)]);
      }
    }
    const fcn = referenceSummary(path.join(runA, 'checkpoints', runState().models.fcn!.file)).tensors;
    expect(fcn['param/lc1.weight'].shape).toEqual([14, 14, 64, 3, 5, 5]);
    expect(fcn['param/lc1.bias'].shape).toEqual([14, 14, 64]);
    expect(fcn['param/lc1.tied'].shape).toEqual([64, 3, 5, 5]);
    expect(fcn['optimizer/m/0'].shape).toEqual([14, 14, 64, 3, 5, 5]);
    expect(fcn['optimizer/v/6'].shape).toEqual([1024, 2304]);
  });

  const LAYERS = { cnn: ['conv1', 'conv2', 'conv3', 'dense1', 'dense2'], fcn: ['lc1', 'lc2', 'lc3', 'dense1', 'dense2'] };

  (referenceHasNumpy() ? test : test.skip)('export: state_dict names, the documented layouts, and NumPy computes the same logits from the file alone', async () => {
    const cnnShell = Sequential.create(networkByName('cifar10', 'cnn'), { device: 'cpu', seed: 7 });
    const shells = { cnn: cnnShell, fcn: cnnShell.toLocal() };
    const count = 3;
    const x = Float32Array.from({ length: count * 3 * 32 * 32 }, (_, i) => Math.sin(i * 12.9898) * 0.5 + 0.5);
    const input = path.join(tmp, 'x.f32');
    fs.writeFileSync(input, new Uint8Array(x.buffer));
    try {
      for (const model of ['cnn', 'fcn'] as const) {
        const out = path.join(tmp, `${model}-export.safetensors`);
        const r = await cli('export', runA, '--model', model, '--epoch', 'last', '--out', out);
        expect(r.stderr).not.toMatch(/wsr-native: /);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(`${out}\n`);
        const theirs = referenceSummary(out);
        expect(theirs.metadata.format).toBe('wsr-native-weights');
        expect(JSON.parse(theirs.metadata.model)).toBe(model);
        expect(JSON.parse(theirs.metadata.epoch)).toBe(4);
        expect(JSON.parse(theirs.metadata.network)).toEqual(networkByName('cifar10', model));
        expect(JSON.parse(theirs.metadata.settings)).toEqual(config(runA).settings);
        expect(JSON.parse(theirs.metadata.layouts)['lc<i>.weight']).toMatch(/^\[OH, OW, K, C, KH, KW\]/);
        const names = LAYERS[model].flatMap((l) => [`${l}.weight`, `${l}.bias`]);
        expect(Object.keys(theirs.tensors).sort()).toEqual([...names, ...(model === 'fcn' ? ['lc1.tied', 'lc2.tied', 'lc3.tied'] : [])].sort());
        const shapes = Object.fromEntries(Object.entries(theirs.tensors).map(([k, v]) => [k, v.shape]));
        expect(shapes).toMatchObject(
          model === 'cnn'
            ? { 'conv1.weight': [64, 3, 5, 5], 'conv1.bias': [64], 'conv3.weight': [256, 128, 3, 3], 'dense1.weight': [1024, 2304], 'dense2.bias': [10] }
            : { 'lc1.weight': [14, 14, 64, 3, 5, 5], 'lc1.bias': [14, 14, 64], 'lc2.weight': [5, 5, 128, 64, 5, 5], 'lc3.bias': [3, 3, 256], 'lc3.tied': [256, 128, 3, 3] },
        );
        // The same values as the checkpoint they came from.
        const ckpt = readCheckpoint(path.join(runA, 'checkpoints', runState().models[model]!.file), (n) => n.startsWith('param/'));
        for (const [name, values] of ckpt.tensors) expect([name, theirs.tensors[name.slice(6)].sha256]).toEqual([name, sha256Of(values)]);

        // wsr-native's forward pass of those weights, and NumPy's from the file alone.
        const shell = shells[model];
        shell.loadState(new Map([...readSafetensors(out).tensors].map(([k, v]) => [k, v.data])));
        const xt = Tensor.from(x, [count, 3, 32, 32], { device: 'cpu' });
        const ours = shell.forward(xt, false).toArray() as Float32Array;
        xt.dispose();
        const numpy = (JSON.parse(reference('forward', out, input, String(count))) as number[][]).flat();
        expect(numpy).toHaveLength(count * 10);
        const scale = Math.max(...numpy.map(Math.abs));
        numpy.forEach((v, i) => expect(Math.abs(ours[i] - v)).toBeLessThan(1e-4 * scale + 1e-5));
      }
    } finally {
      shells.fcn.dispose();
      shells.cnn.dispose();
    }
  });

  test('export refuses what it cannot find, naming it', async () => {
    const r = await cli('export', runA, '--epoch', '1');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no checkpoint of the cnn at epoch 1; the run keeps only the latest and the best \(epochs \d/);
    expect((await cli('export', runA, '--epoch', 'first')).stderr).toMatch(/expected best, last or an epoch number, got 'first'/);
    expect((await cli('export', path.join(tmp, 'nowhere'))).stderr).toMatch(/no config\.json/);
  });

  test('--init-from starts the CNN from an exported file: recorded with its SHA-256, refused as a change on --resume', async () => {
    const exported = path.join(tmp, 'cnn-best.safetensors');
    expect((await cli('export', runA, '--out', exported)).code).toBe(0);
    const epoch = JSON.parse(readSafetensors(exported).metadata.epoch) as number;
    // lr 1e-30 leaves float32 weights as they are: epoch 1 evaluates exactly the exported network.
    const runI = path.join(tmp, 'init');
    const r = await child(['train', ...TINY, '--cnn-epochs', '1', '--fcn-epochs', '0', '--lr', '1e-30', '--no-robustness', '--init-from', exported, '--out', runI]);
    expect(r.stderr).not.toMatch(/wsr-native: /);
    expect(r.code).toBe(0);
    const sha256 = createHash('sha256').update(fs.readFileSync(exported)).digest('hex');
    expect(r.stderr).toContain(`the CNN starts from ${exported} (SHA-256 ${sha256})`);
    expect(config(runI).settings.initFrom).toBe(exported);
    expect(config(runI).initFrom).toEqual({ path: exported, sha256, tensors: 10 });
    const first = find(runRecords(runI), 1, 'cnn');
    const source = find(runRecords(runA), epoch, 'cnn');
    expect(first.val_accuracy).toBe(source.val_accuracy);
    expect(first.val_loss).toBeCloseTo(source.val_loss, 5);

    const changed = await cli('train', '--resume', runI, '--init-from', path.join(tmp, 'other.safetensors'));
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(/--init-from \S*other\.safetensors \(the run has initFrom = "[^"]*cnn-best\.safetensors"\)/);
  }, 120_000);

  test('--init-from checks the file strictly against the network before making a run folder', async () => {
    const good = readSafetensors(path.join(tmp, 'cnn-best.safetensors'));
    const tensors = [...good.tensors]
      .filter(([name]) => name !== 'conv2.bias')
      .map(([name, t]) => (name === 'dense1.weight' ? { name, shape: [2304, 1024], data: t.data } : { name, shape: t.shape, data: t.data }));
    const bad = path.join(tmp, 'bad-init.safetensors');
    writeSafetensors(bad, [...tensors, { name: 'conv9.weight', shape: [1], data: new Float32Array(1) }]);
    const runBad = path.join(tmp, 'bad-init-run');
    const r = await cli('train', ...TINY, '--init-from', bad, '--out', runBad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`--init-from ${bad} does not fit the network cifar10-cnn: missing conv2.bias [128]; `);
    expect(r.stderr).toContain('dense1.weight is [2304, 1024], the network needs [1024, 2304]');
    expect(r.stderr).toContain('unexpected conv9.weight [1]');
    expect(fs.existsSync(runBad)).toBe(false);
    const missing = await cli('train', ...TINY, '--init-from', path.join(tmp, 'none.safetensors'), '--out', runBad);
    expect(missing.stderr).toMatch(/none\.safetensors: no such file/);
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
    const rs = runRecords(run);
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
    expect(withoutSeconds(runRecords(runB))).toEqual(withoutSeconds(runRecords(runA)));
    expect(config(runB).resumes).toHaveLength(1);
  }, 180_000);

  test('after kill -9 mid-run, --resume at once continues from the last completed epoch with the uninterrupted metrics', async () => {
    const runK = path.join(tmp, 'killed');
    // The run's parent is a shell that execs sleep, which never collects its children: the killed
    // run stays a zombie (as when its parent is gone and init is slow to reap it, or never does).
    const parent = spawn('sh', ['-c', '"$0" "$@" & exec sleep 300', process.execPath, '-e', CHILD_BOOT, '--', 'train', ...TINY, '--out', runK], { cwd: root });
    let resumed: ChildRun;
    try {
      let stderr = '';
      const pid = await new Promise<number>((resolve) => {
        parent.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          // Killed during epoch 2, after epoch 1's checkpoint is on disk.
          if (!/cnn epoch 2\/2 /.test(stderr)) return;
          parent.stderr.removeAllListeners('data');
          const holder = (JSON.parse(fs.readFileSync(path.join(runK, '.lock'), 'utf8')) as { pid: number }).pid;
          process.kill(holder, 'SIGKILL');
          resolve(holder);
        });
      });
      for (let i = 0; i < 200 && processStat(pid)?.state !== 'Z'; i++) await new Promise((r) => setTimeout(r, 25));
      expect(processStat(pid)?.state).toBe(processStat(process.pid) === null ? undefined : 'Z'); // a zombie, where /proc shows it
      expect(fs.existsSync(path.join(runK, '.lock'))).toBe(true); // left behind by the dead process
      resumed = await child(['train', '--resume', runK]);
      expect(resumed.code).toBe(0);
      expect(resumed.stderr).toMatch(new RegExp(`took over the lock of process ${pid}, which is gone`));
    } finally {
      parent.kill('SIGKILL');
    }
    expect(resumed.stderr).toMatch(/resuming after epoch \d/);
    expect(withoutSeconds(runRecords(runK))).toEqual(withoutSeconds(runRecords(runA)));
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
