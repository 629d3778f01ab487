// Degrees of weight sharing end to end on the synthetic dataset, through the real CLI: a run that
// frees conv2 and conv3 only, re-ties them every few steps, adds the soft-tying penalty and masks
// their inputs (VCP) records all of it; stopped and resumed, it ends with exactly the metrics of an
// uninterrupted run. And a full re-tying (strength 1) leaves an FCN that computes exactly what the
// CNN holding the mean banks computes.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { childCli as child } from './helpers/cli';
import { metricsCsv } from '../src/report';
import { runRecords, withoutSeconds } from './helpers/runRecords';
import { Sequential } from '../src/nn/model';
import { localToConv } from '../src/ops/local';
import { tieLocal } from '../src/ops/sharing';
import { Tensor } from '../src/tensor';
import { readSafetensors } from '../src/safetensors';
import { RunConfig } from '../src/train/runConfig';
import { exportWeights } from '../src/weights/export';

const SHARING = ['--free', '2,3', '--tie-every', '3', '--tie-strength', '0.5', '--tie-penalty', '0.05', '--vcp', '0.2'];
const TINY = [
  '--dataset', 'synthetic', '--limit', '256', '--validation', '128', '--cnn-epochs', '2', '--fcn-epochs', '3',
  '--batch-size', '64', '--lr', '1e-3', '--threads', '1', '--device', 'cpu', '--no-png', '--no-robustness', ...SHARING,
];


let tmp: string;
let whole: string;
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-e2e-sharing-'));
  whole = path.join(tmp, 'whole');
  run = await child(['train', ...TINY, '--out', whole]);
}, 300_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('a run with every sharing setting', () => {
  test('finishes, says what the masks cost at conversion, and records its settings', () => {
    expect(run.stderr).not.toMatch(/wsr-native: /);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/conversion at epoch 2: the FCN reproduces the CNN/);
    expect(run.stderr).toMatch(/VCP masks \(p 0\.2\) before each freed layer: validation accuracy \d+\.\d\d% unmasked, \d+\.\d\d% masked at conversion/);
    expect(run.stderr).toMatch(/FCN frees conv 2,3 only, re-tied every 3 steps \(strength 0\.5\), tie penalty λ 0\.05, VCP masks p 0\.2/);
    const config = JSON.parse(fs.readFileSync(path.join(whole, 'config.json'), 'utf8')) as RunConfig;
    expect(config.settings).toMatchObject({ free: '2,3', tieEvery: 3, tieStrength: 0.5, tiePenalty: 0.05, vcp: 0.2 });
    expect(config.conversion!.layers.map((l) => l.layer)).toEqual(['lc2', 'lc3']);
  });

  test('the FCN rows carry the freed layers only, vcp and the penalty; layer 1 is not freed, so the published distances stay blank', () => {
    const rs = runRecords(whole);
    const fcn = rs.filter((r) => r.model === 'fcn');
    expect(fcn.map((r) => r.epoch)).toEqual([2, 3, 4, 5]);
    for (const r of fcn) {
      expect(r.layers.map((l) => l.layer)).toEqual(['lc2', 'lc3']);
      expect(r.vcp).toBe(0.2);
    }
    for (const r of rs.filter((x) => x.model === 'cnn')) {
      expect(r.vcp).toBe(0);
      expect(r.tie_penalty ?? null).toBeNull();
    }
    // The branch epochs train under the penalty; its value is the mean over their steps.
    for (const r of fcn.slice(1)) expect(r.tie_penalty).toBeGreaterThan(0);
    expect(fcn[0].tie_penalty ?? null).toBeNull(); // the conversion point did not train
    const lines = metricsCsv(rs).trim().split('\n');
    const header = lines[0].split(',');
    const cell = (line: string, column: string): string => line.split(',')[header.indexOf(column)];
    const last = lines[lines.length - 1];
    expect(cell(last, 'model')).toBe('fcn');
    expect(cell(last, 'dist_1')).toBe('');
    expect(cell(last, 'lc2_dist_1')).not.toBe('');
    expect(Number(cell(last, 'tie_penalty'))).toBeGreaterThan(0);
    expect(header).not.toContain('lc1_dist_1');
  });

  test("an export of the FCN carries its input masks, named after the layers they guard", () => {
    const out = path.join(tmp, 'fcn.safetensors');
    exportWeights(whole, { model: 'fcn', epoch: 'last', out });
    const { tensors } = readSafetensors(out);
    expect([...tensors.keys()].filter((n) => /^(mask|lc|conv)\d/.test(n)).sort()).toEqual(
      ['conv1.bias', 'conv1.weight', 'lc2.bias', 'lc2.tied', 'lc2.weight', 'lc3.bias', 'lc3.tied', 'lc3.weight', 'mask2.mask', 'mask3.mask'],
    );
    expect(tensors.get('mask2.mask')!.shape).toEqual([64, 14, 14]);
    const mask = tensors.get('mask3.mask')!.data;
    const kept = mask.reduce((n, v) => n + v, 0);
    expect(mask.every((v) => v === 0 || v === 1)).toBe(true);
    expect(kept / mask.length).toBeGreaterThan(0.7); // p 0.2 drops about a fifth of 3,200 units
    expect(kept / mask.length).toBeLessThan(0.9);
  });

  test('stopped after the conversion and resumed, it ends with exactly the uninterrupted metrics', async () => {
    const parted = path.join(tmp, 'parted');
    const first = await child(['train', ...TINY, '--out', parted, '--stop-after-epochs', '3']);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/stopped: the checkpoint of epoch 3/);
    const second = await child(['train', '--resume', parted]);
    expect(second.stderr).not.toMatch(/wsr-native: /);
    expect(second.code).toBe(0);
    expect(withoutSeconds(runRecords(parted))).toEqual(withoutSeconds(runRecords(whole)));
  }, 300_000);
});

describe('re-tying at full strength', () => {
  test('leaves an FCN that computes what the CNN with the mean banks computes', () => {
    const spec = { name: 'tiny-cnn', inputShape: [2, 9, 7] as [number, number, number], classes: 3, layers: [
      { type: 'conv' as const, filters: 4, kernel: 3, stride: 2 }, { type: 'relu' as const },
      { type: 'conv' as const, filters: 5, kernel: [2, 3] as [number, number] }, { type: 'relu' as const },
      { type: 'flatten' as const }, { type: 'dense' as const, units: 3 },
    ] };
    const cnn = Sequential.create(spec, { device: 'cpu', seed: 11 });
    const fcn = cnn.toLocal({ layers: [2] });
    // Drift the freed layer's banks apart, then tie them fully.
    const [lc] = fcn.localLayers();
    lc.weight.write(Float32Array.from(lc.weight.toArray(), (v, i) => v + 0.1 * Math.sin(i)));
    lc.bias.write(Float32Array.from(lc.bias.toArray(), (v, i) => v + 0.05 * Math.cos(i)));
    tieLocal(lc.weight, lc.bias, 1);
    const mean = localToConv(lc.weight, lc.bias);
    const tiedCnn = cnn.clone();
    const state = tiedCnn.state();
    state.set('conv2.weight', mean.weight.toArray() as Float32Array);
    state.set('conv2.bias', mean.bias!.toArray() as Float32Array);
    tiedCnn.loadState(state);
    const x = Tensor.from(Float32Array.from({ length: 3 * 2 * 9 * 7 }, (_, i) => Math.sin(0.7 * i)), [3, 2, 9, 7], { device: 'cpu' });
    const a = tiedCnn.forward(x, false).toArray();
    const b = fcn.forward(x, false).toArray();
    const scale = Math.max(...Array.from(a, Math.abs));
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1e-5 * scale);
    for (const t of [x, mean.weight, mean.bias!]) t.dispose();
    for (const m of [cnn, fcn, tiedCnn]) m.dispose();
  });
});
