// A short run on real CIFAR-10 images lands clearly above chance on held-out images.
//
// The bar: train the CNN alone (--fcn-epochs 0) on 5,000 training images for 3 epochs with Adam at
// lr 1e-3, then measure test accuracy on 10,000 images the network never saw. Chance is 10%; we
// require more than 25%. At 10,000 test images the binomial standard error near 30% is about 0.46
// points, so 25% is over 30 standard errors above chance, while this setting reaches about 35–40%
// (38.4% measured on the development machine): a broken loss, gradient, optimizer or data order
// fails it; seed-to-seed noise does not.
//
// The shared data folder holds the 50,000 training images without test_batch.bin, so the split's
// documented fallback holds out data_batch_5.bin as the test set (validation: 2,000 images held out
// from the other four files). Skipped, with a message, where ../shared/data is absent.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { childCli } from './helpers/cli';
import { EpochRecord, readMetricsJsonl } from '../src/report';
import { RunConfig } from '../src/train/runConfig';

const root = path.join(__dirname, '..');
const dataDir = path.join(root, '..', 'shared', 'data', 'cifar-10-batches-bin');
const haveData = fs.existsSync(path.join(dataDir, 'data_batch_1.bin'));

const maybe = haveData ? test : test.skip;
if (!haveData) {
  // eslint-disable-next-line no-console
  console.log(`real-data test skipped: no CIFAR-10 files in ${dataDir} (a fresh clone has no ../shared/data)`);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-real-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

maybe(
  'the CNN trained on 5,000 real images for 3 epochs beats 25% on 10,000 held-out images (chance: 10%)',
  async () => {
    const run = path.join(tmp, 'run');
    const r = await childCli([
      'train', '--data-dir', dataDir, '--limit', '5000', '--validation', '2000', '--cnn-epochs', '3', '--fcn-epochs', '0',
      '--lr', '1e-3', '--device', 'cpu', '--no-robustness', '--no-png', '--out', run,
    ]);
    expect(r.stderr).not.toMatch(/wsr-native: /);
    expect(r.code).toBe(0);
    const config = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as RunConfig;
    expect(config.data.split.testSource).toBe('held-out-file');
    expect(config.data.split.checksums.test!.count).toBe(10_000);
    expect(config.data.split.disjoint.disjoint).toBe(true);
    expect(config.data.files.map((f) => path.basename(f.file))).toEqual(
      expect.arrayContaining(['data_batch_1.bin', 'data_batch_5.bin', 'batches.meta.txt']),
    );
    const records: EpochRecord[] = readMetricsJsonl(path.join(run, 'metrics.jsonl')).records;
    expect(records.map((x) => `${x.epoch}${x.model}`)).toEqual(['1cnn', '2cnn', '3cnn']);
    const last = records[2];
    expect(last.loss).toBeLessThan(records[0].loss);
    expect(last.test_accuracy).not.toBeNull();
    expect(last.test_accuracy!).toBeGreaterThan(0.25);
    expect(last.val_accuracy).toBeGreaterThan(0.25);
  },
  180_000,
);
