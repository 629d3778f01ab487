// End to end on MNIST-shaped data through the real CLI and the real IDX reader: generated 1×28×28
// images written as the four gzipped official files, trained with every augmentation on, twice.
// The run uses the paper's MNIST network and that dataset's defaults, records the augmentations
// in config.json and the CSV, is reproducible on the CPU, and refuses to resume with others.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { childCli, cli } from './helpers/cli';
import { generateSynthetic, writeMnistFolder } from '../src/data';
import { specParameterCount } from '../src/nn/plan';
import { MNIST_CNN, toLocalSpec } from '../src/nn/spec';
import { runRecords, withoutSeconds } from './helpers/runRecords';
import { settingsFromFlags } from '../src/train/flags';
import { RunConfig } from '../src/train/runConfig';

const AUGMENT = 'swap=0.5,rotation=15,translation=0.1,edge_noise=0.1,noise=0.1';

const config = (run: string): RunConfig => JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as RunConfig;

let tmp: string;
let dataDir: string;
const runs: { dir: string; code: number | null; stdout: string; stderr: string }[] = [];

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-e2e-mnist-'));
  dataDir = path.join(tmp, 'data');
  writeMnistFolder(path.join(dataDir, 'mnist'), generateSynthetic({ seed: 2, trainPerFile: 80, testCount: 100, format: 'mnist' }), { gzip: true });
  for (const name of ['a', 'b']) {
    const dir = path.join(tmp, name);
    const r = await childCli([
      'train', '--dataset', 'mnist', '--data-dir', dataDir, '--cnn-epochs', '2', '--fcn-epochs', '1', '--batch-size', '50',
      '--threads', '2', '--device', 'cpu', '--no-png', '--augment', AUGMENT, '--out', dir,
    ]);
    runs.push({ dir, ...r });
  }
}, 240_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('MNIST with every augmentation', () => {
  test("the dataset's defaults: Adam lr 1e-3, batch 256, patience 50, epoch cap 250", () => {
    const s = settingsFromFlags({ device: 'cpu', dataset: 'mnist' }, null, null);
    expect(s).toMatchObject({ optimizer: 'adam', lr: 1e-3, batchSize: 256, patience: 50, cnnEpochs: 250, fcnEpochs: 250, cnnContinueEpochs: 250 });
    expect(settingsFromFlags({ device: 'cpu', dataset: 'mnist', lr: 0.01 }, null, null).lr).toBe(0.01);
  });

  test('finishes, on the MNIST network, with the files it read checksummed and leak-free splits', () => {
    const [a] = runs;
    expect(a.stderr).not.toMatch(/wsr-native: /);
    expect(a.code).toBe(0);
    expect(a.stderr).toMatch(/quadrant swap of 50% of the images, then rotation ±15°, then translation ±10% of the side, then edge noise σ 0\.1, then noise σ 0\.1/);
    const c = config(a.dir);
    expect(c.settings).toMatchObject({ dataset: 'mnist', lr: 1e-3, patience: 50, batchSize: 50, swap: 0.5, rotation: 15, translation: 0.1, edgeNoise: 0.1, noise: 0.1 });
    expect(c.networks).toEqual({
      cnn: { name: 'mnist-cnn', parameters: specParameterCount(MNIST_CNN), classes: 10 },
      fcn: { name: 'mnist-fcn', parameters: specParameterCount(toLocalSpec(MNIST_CNN)), classes: 10 },
    });
    expect(c.data.imageShape).toEqual([1, 28, 28]);
    expect(c.data.files.map((f) => path.basename(f.file))).toEqual([
      'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz',
    ]);
    expect(c.data.split).toMatchObject({ testSource: 'official', disjoint: { disjoint: true } });
    expect(c.data.split.checksums).toMatchObject({ train: { count: 320 }, validation: { count: 80 }, test: { count: 100 } });
    expect(c.conversion).toMatchObject({ predictionsEqual: true });
  });

  test('the CSV and the records carry the augmentations; the robustness sets are measured on 28×28', () => {
    const rs = runRecords(runs[0].dir);
    expect(rs.map((r) => `${r.epoch}${r.model}`)).toEqual(['1cnn', '2cnn', '2fcn', '3cnn', '3fcn']);
    for (const r of rs) {
      expect(r.aug_type).toBe('swap=0.5+rotation=15+translation=0.1+edge_noise=0.1+noise=0.1');
      expect(r.aug).toBeNaN();
      for (const k of ['translation', 'noise', 'edge_noise', 'rotation', 'swap'] as const) expect(r[k]).toBeGreaterThanOrEqual(0);
    }
    expect(rs[2].layers[0].divergenceMap).toMatchObject({ height: 13, width: 13 });
    const csv = fs.readFileSync(path.join(runs[0].dir, 'metrics.csv'), 'utf8').split('\n');
    expect(csv[1]).toMatch(/^1,cnn,swap=0\.5\+rotation=15\+translation=0\.1\+edge_noise=0\.1\+noise=0\.1,NaN,0,/);
  });

  test('is reproducible: a second run has exactly the same metrics', () => {
    expect(runs[1].code).toBe(0);
    expect(withoutSeconds(runRecords(runs[1].dir))).toEqual(withoutSeconds(runRecords(runs[0].dir)));
    expect(runs[1].stdout).toBe(runs[0].stdout);
  });

  test('refuses to resume with a changed augmentation', async () => {
    const r = await cli('train', '--resume', runs[0].dir, '--augment', 'rotation=10');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--augment rotation=10 \(the run has rotation = 15\)/);
  });
});
