// The settings table is the one source of the train flags, defaults, help, checks, log line and
// resume rules: each of those is checked here against the table's entries, so a new entry shows
// up everywhere or a test says where it does not.
import { cli } from './helpers/cli';
import { FLAG_SETTINGS, readFlagEntries, settingsFromFlags } from '../src/train/flags';
import { DATASETS } from '../src/data';
import {
  DEFAULT_SETTINGS,
  RESUMABLE_KEYS,
  RESUME_FIXED_KEYS,
  SETTINGS,
  checkSettings,
  describeSettings,
  resolveSettings,
  savedSettings,
} from '../src/train/settings';

const keys = SETTINGS.map((e) => e.key);

describe('the settings table', () => {
  test('one entry per setting, one setting per flag', () => {
    expect(new Set(keys).size).toBe(keys.length);
    expect(Object.keys(DEFAULT_SETTINGS)).toEqual(keys);
    const flags = SETTINGS.filter((e) => e.flag !== null).map((e) => e.flag!.split(' ')[0]);
    expect(new Set(flags).size).toBe(flags.length);
    expect(FLAG_SETTINGS.map((f) => f.flag)).toEqual(flags);
  });

  test("every dataset's defaults pass the table's own checks", () => {
    for (const d of DATASETS) {
      const s = resolveSettings({ dataset: d.name });
      expect(() => checkSettings(s)).not.toThrow();
      expect(s).toMatchObject({ lr: d.training.lr, batchSize: d.training.batchSize, patience: d.training.patience, cnnEpochs: d.training.epochs });
    }
  });

  test('each value is checked by its entry, naming the setting and the value', () => {
    const s = { ...DEFAULT_SETTINGS };
    expect(() => checkSettings({ ...s, batchSize: 0 })).toThrow('batchSize must be an integer >= 1, got 0');
    expect(() => checkSettings({ ...s, lr: -1 })).toThrow('lr must be a finite number > 0, got -1');
    expect(() => checkSettings({ ...s, dataset: 'imagenet' as never })).toThrow('dataset must be one of cifar10, cifar100, mnist, fashion-mnist, synthetic, got "imagenet"');
    expect(() => checkSettings({ ...s, seed: 2 ** 32 })).toThrow('seed must be an integer in [0, 4294967295], got 4294967296');
    expect(() => checkSettings({ ...s, threads: 0 })).toThrow('threads must be an integer in [1, 1024], got 0');
    expect(() => checkSettings({ ...s, experiment: 7 })).toThrow('experiment must be an integer in [0, 3], got 7');
    expect(() => checkSettings({ ...s, labels: 'all' as never })).toThrow('labels must be one of fine, coarse, got "all"');
  });

  test('--labels: coarse only where the dataset has coarse labels; shown in the log line where there is a choice', () => {
    const s = { ...DEFAULT_SETTINGS };
    expect(() => checkSettings({ ...s, labels: 'coarse' })).toThrow("labels coarse: cifar10 has fine labels only; coarse labels are cifar100's");
    expect(() => checkSettings({ ...resolveSettings({ dataset: 'cifar100', labels: 'coarse' }) })).not.toThrow();
    expect(DEFAULT_SETTINGS.labels).toBe('fine');
    expect(describeSettings(resolveSettings({ dataset: 'cifar100', labels: 'coarse' }))).toMatch(/^coarse labels \(20 classes\); CNN 100 epoch/);
    expect(describeSettings(resolveSettings({ dataset: 'cifar100' }))).toMatch(/^fine labels \(100 classes\); /);
    expect(describeSettings(resolveSettings({ dataset: 'mnist' }))).not.toContain('labels');
    expect(savedSettings({ ...DEFAULT_SETTINGS, labels: undefined as never }).labels).toBe('fine');
    // A sweep point sets it as the command line does.
    expect(readFlagEntries([['dataset', 'cifar100'], ['labels', 'coarse']], 'point 1')).toEqual({ dataset: 'cifar100', labels: 'coarse' });
    expect(() => readFlagEntries([['labels', 'superclass']], 'point 1')).toThrow("point 1: option '--labels <which>' argument 'superclass' is invalid. expected one of fine, coarse");
  });

  test('resume rules: only where a run runs and reads its data may change', () => {
    expect(RESUMABLE_KEYS).toEqual(['dataDir', 'device', 'threads']);
    expect([...RESUME_FIXED_KEYS, ...RESUMABLE_KEYS].sort()).toEqual([...keys].sort());
  });

  test('train --help lists every flag with its help and its default, per dataset where they differ', async () => {
    const r = await cli('train', '--help');
    const help = r.stdout.replace(/\s+/g, ' ');
    for (const e of SETTINGS) {
      if (e.flag === null) continue;
      expect(help).toContain(`${e.flag} ${e.help}`);
    }
    expect(help).toContain('--lr <rate> learning rate (default 0.0001; --dataset mnist: 0.001; --dataset fashion-mnist: 0.001)');
    expect(help).toContain('--batch-size <n> images per training batch (default 128; --dataset mnist: 256; --dataset fashion-mnist: 256)');
    expect(help).toContain('--labels <which> which labels to train on');
    expect(help).toContain('(default fine)');
    expect(help).toContain('--threads <n> CPU threads (default: all cores)');
    expect(help).toContain('--augment <list> training augmentations as kind=level pairs');
  });

  test('the log line has each describing entry’s phrase in table order', () => {
    const s = settingsFromFlags({ device: 'cpu', optimizer: 'sgd', lr: 0.01, robustness: false, augment: { rotation: 10 } }, null, null);
    expect(describeSettings(s)).toBe(
      'CNN 100 epoch(s), then the CNN continued 100 and the FCN 100 (early stopping patience 100); rotation ±10°; ' +
        'SGD lr 0.01 momentum 0.9; batch 128; seed 0; no robustness measures',
    );
  });
});
