// End to end through the real CLI and readers on generated files: CIFAR-100 with coarse labels and
// with fine labels (official-size train.bin and test.bin, built cheaply from a few synthetic
// scenes, each record made unique), and Fashion-MNIST (its four gzipped IDX files), each for one
// epoch of each phase on a few images. Each run trains the network ending in its labels' classes
// (20, 100, 10), records it and the labels in config.json, proves its splits disjoint, and writes
// its metrics and figures; a resumed run refuses other labels, and other datasets refuse coarse ones.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { childCli, cli } from './helpers/cli';
import {
  CIFAR100_COARSE_CLASS_NAMES,
  CIFAR100_RELEASE,
  FASHION_MNIST_CLASS_NAMES,
  LabelledImages,
  datasetLabels,
  generateSynthetic,
  writeCifarFolder,
  writeMnistFolder,
} from '../src/data';
import { specParameterCount } from '../src/nn/plan';
import { toLocalSpec } from '../src/nn/spec';
import { runRecords } from './helpers/runRecords';
import { RunConfig } from '../src/train/runConfig';

/** `count` images cycling through `pool`'s, each made unique by its index in its first bytes (`tag` tells files apart). */
function tiled(pool: LabelledImages, count: number, tag: number): LabelledImages {
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const from = k % pool.count;
    images.set(pool.images.subarray(from * 3072, (from + 1) * 3072), k * 3072);
    images.set([k & 255, (k >> 8) & 255, (k >> 16) & 255, tag], k * 3072);
    labels[k] = pool.labels[from];
  }
  return { images, labels, count };
}

const config = (run: string): RunConfig => JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as RunConfig;
const SHORT = ['--limit', '100', '--validation', '50', '--cnn-epochs', '1', '--fcn-epochs', '1', '--batch-size', '50', '--threads', '2', '--device', 'cpu', '--no-png'];

let tmp: string;
let dataDir: string;
const runs: Record<'coarse' | 'fine' | 'fashion', { dir: string; code: number | null; stdout: string; stderr: string }> = {} as never;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-e2e-datasets-'));
  dataDir = path.join(tmp, 'data');
  // CIFAR-100 at its official sizes (the reader insists on 50,000 and 10,000 records).
  const pool = generateSynthetic({ seed: 2, format: 'cifar100', trainPerFile: 40, testCount: 100 });
  writeCifarFolder(
    path.join(dataDir, 'cifar-100-binary'),
    { ...pool, train: [{ name: 'train.bin', ...tiled(pool.train[0], 50_000, 0x5a) }], test: { name: 'test.bin', ...tiled(pool.test!, 10_000, 0xa5) } },
    CIFAR100_RELEASE,
  );
  writeMnistFolder(path.join(dataDir, 'fashion-mnist'), generateSynthetic({ seed: 3, trainPerFile: 30, testCount: 60, format: 'mnist' }), { gzip: true });
  const plans: [keyof typeof runs, string[]][] = [
    ['coarse', ['--dataset', 'cifar100', '--labels', 'coarse']],
    // Stopped after the CNN's epoch: the network and labels are what this run checks.
    ['fine', ['--dataset', 'cifar100', '--stop-after-epochs', '1']],
    ['fashion', ['--dataset', 'fashion-mnist']],
  ];
  for (const [name, args] of plans) {
    const dir = path.join(tmp, name);
    runs[name] = { dir, ...(await childCli(['train', ...args, '--data-dir', dataDir, ...SHORT, '--out', dir])) };
  }
}, 420_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The checks every run passes: it ended well, its splits are disjoint, and its metrics (`epochs`) and figures are written. */
function expectFinished(
  run: (typeof runs)['coarse'],
  counts: { train: number; validation: number; test: number },
  // The CNN's epoch, the converted FCN measured at conversion, then one epoch of each branch.
  epochs = ['1cnn', '1fcn', '2cnn', '2fcn'],
): RunConfig {
  expect(run.stderr).not.toMatch(/wsr-native: /);
  expect(run.code).toBe(0);
  const c = config(run.dir);
  expect(c.data.split).toMatchObject({ testSource: 'official', disjoint: { disjoint: true } });
  expect(c.data.split.checksums).toMatchObject({ train: { count: counts.train }, validation: { count: counts.validation }, test: { count: counts.test } });
  const rs = runRecords(run.dir);
  expect(rs.map((r) => `${r.epoch}${r.model}`)).toEqual(epochs);
  if (epochs.length > 1) expect(c.conversion).toMatchObject({ predictionsEqual: true });
  for (const r of rs) for (const k of ['translation', 'noise', 'edge_noise', 'rotation', 'swap'] as const) expect(r[k]).toBeGreaterThanOrEqual(0);
  expect(fs.readFileSync(path.join(run.dir, 'metrics.csv'), 'utf8').split('\n')[0]).toMatch(/^epoch,model,aug_type,/);
  expect(fs.readdirSync(run.dir).some((n) => n.endsWith('.svg')) || fs.existsSync(path.join(run.dir, 'figures'))).toBe(true);
  return c;
}

describe('CIFAR-100', () => {
  test('--labels coarse: the CIFAR network ending in 20 outputs, the 20 superclass names', () => {
    const c = expectFinished(runs.coarse, { train: 100, validation: 50, test: 10_000 });
    const spec = datasetLabels('cifar100', 'coarse').network;
    expect(c.settings).toMatchObject({ dataset: 'cifar100', labels: 'coarse', lr: 1e-4 });
    expect(c.networks).toEqual({
      cnn: { name: 'cifar100-coarse-cnn', parameters: specParameterCount(spec), classes: 20 },
      fcn: { name: 'cifar100-coarse-fcn', parameters: specParameterCount(toLocalSpec(spec)), classes: 20 },
    });
    expect(c.data).toMatchObject({ dataset: 'cifar100', labels: 'coarse', classNames: [...CIFAR100_COARSE_CLASS_NAMES], imageShape: [3, 32, 32] });
    expect(c.data.files.map((f) => path.basename(f.file))).toEqual(['train.bin', 'test.bin', 'coarse_label_names.txt', 'fine_label_names.txt']);
    expect(runs.coarse.stderr).toContain('coarse labels (20 classes)');
  });

  test('fine labels by default: 100 outputs', () => {
    const c = expectFinished(runs.fine, { train: 100, validation: 50, test: 10_000 }, ['1cnn']);
    expect(c.settings.labels).toBe('fine');
    expect(c.networks.cnn).toEqual({ name: 'cifar100-cnn', parameters: specParameterCount(datasetLabels('cifar100', 'fine').network), classes: 100 });
    expect(c.networks.fcn.classes).toBe(100);
    expect(c.data.classNames).toHaveLength(100);
    expect(runs.fine.stderr).toContain('fine labels (100 classes)');
  });

  test('a resumed run refuses other labels', async () => {
    const r = await cli('train', '--resume', runs.coarse.dir, '--labels', 'fine');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--labels fine (the run has labels = "coarse")');
  });
});

describe('Fashion-MNIST', () => {
  test('the MNIST network and defaults, 10 outputs, the ten Fashion-MNIST class names', () => {
    const c = expectFinished(runs.fashion, { train: 100, validation: 50, test: 60 });
    expect(c.settings).toMatchObject({ dataset: 'fashion-mnist', labels: 'fine', lr: 1e-3, patience: 50 });
    expect(c.networks.cnn).toMatchObject({ name: 'mnist-cnn', classes: 10 });
    expect(c.data).toMatchObject({ classNames: [...FASHION_MNIST_CLASS_NAMES], imageShape: [1, 28, 28] });
    expect(c.data.files.map((f) => path.basename(f.file))).toEqual([
      'train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz',
    ]);
    expect(runs.fashion.stderr).not.toContain('labels (');
  });

  test('coarse labels are refused, naming the dataset that has them', async () => {
    const r = await cli('train', '--dataset', 'fashion-mnist', '--labels', 'coarse', '--data-dir', dataDir, '--out', path.join(tmp, 'refused'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("labels coarse: fashion-mnist has fine labels only; coarse labels are cifar100's");
    expect(fs.existsSync(path.join(tmp, 'refused'))).toBe(false);
  });
});
