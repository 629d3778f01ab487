// Low-rank locally connected layers in training, through the real CLI on the synthetic dataset:
// `--lc-rank R` frees the named convolutions into layers of R mixed banks that start as the trained
// bank (the conversion check proves the FCN equals the CNN), records the rank and each network's
// parameter count, measures distances on the mixed banks, refuses ranks a layer cannot have and
// combinations that are not defined, resumes exactly, and exports bases and logits that an
// independent NumPy reader mixes and runs to the same logits.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { childCli as child } from './helpers/cli';
import { reference, referenceHasNumpy } from './helpers/safetensors';
import { runRecords, withoutSeconds } from './helpers/runRecords';
import { Sequential } from '../src/nn/model';
import { specParameterCount } from '../src/nn/plan';
import { CIFAR10_CNN, toLocalSpec } from '../src/nn/spec';
import { readSafetensors } from '../src/safetensors';
import { Tensor } from '../src/tensor';
import { RunConfig } from '../src/train/runConfig';

const TINY = [
  '--dataset', 'synthetic', '--limit', '256', '--validation', '128', '--cnn-epochs', '2', '--fcn-epochs', '3',
  '--batch-size', '64', '--lr', '1e-3', '--threads', '1', '--device', 'cpu', '--no-png', '--no-robustness',
  '--free', '2,3', '--lc-rank', '3', '--seed', '5',
];


let tmp: string;
let whole: string;
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-e2e-lowrank-'));
  whole = path.join(tmp, 'whole');
  run = await child(['train', ...TINY, '--out', whole]);
}, 300_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('a run with --lc-rank 3', () => {
  const fcnSpec = toLocalSpec(CIFAR10_CNN, { layers: [2, 3], rank: 3 });

  test('converts exactly, logs and records the rank and each network\'s parameter count', () => {
    expect(run.stderr).not.toMatch(/wsr-native: /);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/conversion at epoch 2: the FCN reproduces the CNN/);
    expect(run.stderr).toMatch(/FCN frees conv 2,3 only, freed layers of rank 3/);
    const parameters = specParameterCount(fcnSpec);
    expect(run.stderr).toContain(`networks: cifar10-cnn 2,875,530 parameters, ${fcnSpec.name} ${parameters.toLocaleString('en-US')}`);
    const config = JSON.parse(fs.readFileSync(path.join(whole, 'config.json'), 'utf8')) as RunConfig;
    expect(config.settings).toMatchObject({ free: '2,3', lcRank: 3 });
    expect(config.networks.fcn).toMatchObject({ name: fcnSpec.name, parameters });
    // Three bases of lc2 (128·64·5·5 + 128 each) and of lc3, plus the logits: far fewer than a full LC layer's 25 or 9 banks.
    expect(parameters).toBeLessThan(specParameterCount(toLocalSpec(CIFAR10_CNN, { layers: [2, 3] })));
  });

  test('the FCN rows carry the rank, and distances of the mixed banks: 0 at conversion, then apart', () => {
    const fcn = runRecords(whole).filter((r) => r.model === 'fcn');
    for (const r of fcn) {
      expect(r.lc_rank).toBe(3);
      expect(r.layers.map((l) => l.layer)).toEqual(['lc2', 'lc3']);
    }
    for (const r of runRecords(whole).filter((x) => x.model === 'cnn')) expect(r.lc_rank ?? null).toBeNull();
    expect(fcn[0].layers[0].dist[1]).toBe(0);
    expect(fcn[0].layers[0].divergence).toBe(0);
    expect(fcn[fcn.length - 1].layers[0].dist[1]).toBeGreaterThan(0);
  });

  test('stopped in its branch and resumed, it ends with exactly the uninterrupted metrics', async () => {
    const parted = path.join(tmp, 'parted');
    const first = await child(['train', ...TINY, '--out', parted, '--stop-after-epochs', '3']);
    expect(first.code).toBe(0);
    const second = await child(['train', '--resume', parted]);
    expect(second.stderr).not.toMatch(/wsr-native: /);
    expect(second.code).toBe(0);
    expect(withoutSeconds(runRecords(parted))).toEqual(withoutSeconds(runRecords(whole)));
  }, 300_000);

  (referenceHasNumpy() ? test : test.skip)('exports bases and logits (and the mixed banks): NumPy mixes and runs them to the same logits', async () => {
    const out = path.join(tmp, 'fcn.safetensors');
    const r = await child(['export', whole, '--model', 'fcn', '--epoch', 'last', '--materialize', '--out', out]);
    expect(r.code).toBe(0);
    const { tensors } = readSafetensors(out);
    expect(tensors.get('lc2.bases')!.shape).toEqual([3, 128, 64, 5, 5]);
    expect(tensors.get('lc2.basisBias')!.shape).toEqual([3, 128]);
    expect(tensors.get('lc2.logits')!.shape).toEqual([5, 5, 3]);
    expect(tensors.get('lc3.weight')!.shape).toEqual([3, 3, 256, 128, 3, 3]);
    // The stored mixed banks are NumPy's mix of the bases, to float32 rounding.
    const mix = JSON.parse(reference('lowrank', out)) as Record<string, { weight: number; bias: number; scale: number }>;
    expect(Object.keys(mix)).toEqual(['lc2', 'lc3']);
    for (const m of Object.values(mix)) expect(Math.max(m.weight, m.bias)).toBeLessThan(1e-6 * m.scale + 1e-7);
    // NumPy's forward pass from bases and logits alone gives our logits.
    const count = 2;
    const x = Float32Array.from({ length: count * 3 * 32 * 32 }, (_, i) => Math.sin(i * 12.9898) * 0.5 + 0.5);
    const input = path.join(tmp, 'x.f32');
    fs.writeFileSync(input, new Uint8Array(x.buffer));
    const model = Sequential.create(fcnSpec, { device: 'cpu', seed: 1 });
    try {
      const state = new Map([...tensors].filter(([k]) => !/^lc\d\.(weight|bias)$/.test(k) || k.startsWith('lc1')).map(([k, v]) => [k, v.data]));
      model.loadState(state);
      const xt = Tensor.from(x, [count, 3, 32, 32], { device: 'cpu' });
      const ours = model.forward(xt, false).toArray();
      xt.dispose();
      const numpy = (JSON.parse(reference('forward', out, input, String(count))) as number[][]).flat();
      const scale = Math.max(...numpy.map(Math.abs));
      numpy.forEach((v, i) => expect(Math.abs(ours[i] - v)).toBeLessThan(1e-4 * scale + 1e-5));
    } finally {
      model.dispose();
    }
  });
});

describe('ranks and combinations that cannot run', () => {
  test('a rank above a freed layer\'s positions names the layer and its limit; with tying or VCP it is not defined', async () => {
    const tooHigh = await child(['train', ...TINY.slice(0, -6), '--lc-rank', '10', '--out', path.join(tmp, 'never')]);
    expect(tooHigh.code).toBe(1);
    expect(tooHigh.stderr).toMatch(/--lc-rank 10: \(lc3\): rank 10 exceeds the layer's 3x3 = 9 output positions; at most 9/);
    const tied = await child(['train', ...TINY, '--tie-every', '5', '--out', path.join(tmp, 'never')]);
    expect(tied.code).toBe(1);
    expect(tied.stderr).toMatch(/--lc-rank 3 with --tie-every 5 is not defined/);
    const bad = await child(['train', '--lc-rank', 'half', '--out', path.join(tmp, 'never')]);
    expect(bad.stderr).toMatch(/option '--lc-rank <rank>' argument 'half' is invalid\. expected full, or a whole number >= 1/);
    expect(fs.existsSync(path.join(tmp, 'never'))).toBe(false);
  }, 120_000);
});
