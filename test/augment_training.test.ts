// The training augmentations: --augment parsing (errors name the bad value), how they combine with
// --noise and the presets, their CSV encoding and words, the resume rule, and — on the device —
// that the batch the network is given is exactly the composition of the augment ops applied by
// hand in the documented order, with the documented seeds and streams.
import { cli } from './helpers/cli';
import { expectClose } from './helpers/compare';
import { describeCuda } from './helpers/devices';
import { resumeSettings } from '../src/cli/resume';
import { settingsFromFlags } from '../src/train/flags';
import { generateSynthetic } from '../src/data';
import { gatherBatch } from '../src/ops/data';
import { edgeNoise, gaussianNoise, quadrantSwap, rotate, translate } from '../src/ops/augment';
import { Tensor } from '../src/tensor';
import { augmentationColumns, describeAugmentations, parseAugmentList } from '../src/train/augmentations';
import { DeviceSplit, augmentBatch, augmentPlan, batchStream, derivedSeed, epochOrder, swapChoices, swappedCopies, trainingOrder } from '../src/train/batches';
import { EXPERIMENT_PRESETS, TrainSettings, checkSettings, describeSettings, savedSettings } from '../src/train/settings';

const settings = (flags: Parameters<typeof settingsFromFlags>[0]): TrainSettings => settingsFromFlags({ device: 'cpu', ...flags }, null, null);

describe('--augment', () => {
  test('kind=level pairs in any order; none sets every level to 0', () => {
    expect(parseAugmentList('translation=0.25,noise=0.3')).toEqual({ translation: 0.25, noise: 0.3 });
    expect(parseAugmentList(' rotation = 15 , swap=0.5, edge_noise=0.1 ')).toEqual({ rotation: 15, swap: 0.5, edgeNoise: 0.1 });
    expect(parseAugmentList('none')).toEqual({ swap: 0, rotation: 0, translation: 0, edgeNoise: 0, noise: 0 });
  });

  test.each<[string, RegExp]>([
    ['translation=1', /argument 'translation=1' is invalid\. translation=1: must be in \[0, 1\)\./],
    ['rotation=200', /argument 'rotation=200' is invalid\. rotation=200: must be in \[0, 180\]\./],
    ['swap=1.5', /argument 'swap=1\.5' is invalid\. swap=1\.5: must be in \[0, 1\]\./],
    ['noise=-0.1', /argument 'noise=-0\.1' is invalid\. noise=-0\.1: must be >= 0\./],
    ['noise=lots', /argument 'noise=lots' is invalid\. noise=lots: expected a number, got 'lots'\./],
    ['blur=1', /argument 'blur=1' is invalid\. unknown augmentation 'blur' \(expected swap, rotation, translation, edge_noise, noise, or none\)\./],
    ['rotation', /argument 'rotation' is invalid\. 'rotation' needs a level, e\.g\. rotation=15\./],
    ['noise=0.1,noise=0.2', /argument 'noise=0\.1,noise=0\.2' is invalid\. noise is given twice\./],
    ['', /argument '' is invalid\. expected kind=level pairs/],
  ])('train --augment %j exits non-zero and names the bad value', async (value, message) => {
    const r = await cli('train', '--augment', value);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(new RegExp(`option '--augment <list>' ${message.source}`));
    expect(r.stdout).toBe('');
  });

  test('--noise is noise=…; the two must agree when both are given', async () => {
    expect(settings({ noise: 0.3 })).toMatchObject({ noise: 0.3, translation: 0 });
    expect(settings({ augment: { noise: 0.3, translation: 0.1 } })).toMatchObject({ noise: 0.3, translation: 0.1 });
    expect(settings({ noise: 0.3, augment: { noise: 0.3 } }).noise).toBe(0.3);
    expect(() => settings({ noise: 0.3, augment: { noise: 0.5 } })).toThrow('--noise 0.3 and --augment noise=0.5 disagree: give the level once');
    const r = await cli('train', '--noise', '0.3', '--augment', 'noise=0.5', '--device', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--noise 0\.3 and --augment noise=0\.5 disagree/);
  });

  test('a preset keeps the levels --augment does not name; none clears them', () => {
    const e3 = settingsFromFlags({ device: 'cpu', augment: { translation: 0.25 } }, EXPERIMENT_PRESETS[3], 3);
    expect(e3).toMatchObject({ noise: 0.5, translation: 0.25 });
    const cleared = settingsFromFlags({ device: 'cpu', augment: parseAugmentList('none') }, EXPERIMENT_PRESETS[3], 3);
    expect(cleared.noise).toBe(0);
  });

  test('config values are checked; a run made before --augment existed reads as no augmentation but its noise', () => {
    expect(() => checkSettings({ ...settings({}), rotation: 400 })).toThrow('rotation must be a finite number in [0, 180], got 400');
    const { swap: _s, rotation: _r, translation: _t, edgeNoise: _e, ...old } = settings({ noise: 0.5 });
    expect(() => checkSettings(old as TrainSettings)).toThrow(/swap must be a finite number/);
    const completed = savedSettings(old);
    expect(completed).toMatchObject({ noise: 0.5, swap: 0, rotation: 0, translation: 0, edgeNoise: 0 });
    expect(() => checkSettings(completed)).not.toThrow();
  });

  test('the CSV columns and the log line', () => {
    expect(augmentationColumns(settings({}))).toEqual({ aug_type: 'none', aug: 0 });
    expect(augmentationColumns(settings({ noise: 0.5 }))).toEqual({ aug_type: 'noise', aug: 0.5 });
    expect(augmentationColumns(settings({ augment: { rotation: 30 } }))).toEqual({ aug_type: 'rotation', aug: 30 });
    const several = augmentationColumns(settings({ augment: { noise: 0.3, translation: 0.25 } }));
    expect(several.aug_type).toBe('translation=0.25+noise=0.3');
    expect(several.aug).toBeNaN();
    expect(describeAugmentations(settings({ augment: parseAugmentList('noise=0.3,swap=0.5,rotation=15,edge_noise=0.2,translation=0.125') }))).toBe(
      'quadrant swap of 50% of the images, then rotation ±15°, then translation ±12.5% of the side, then edge noise σ 0.2, then noise σ 0.3',
    );
    expect(describeSettings(settings({ augment: { translation: 0.25 } }))).toMatch(/\(early stopping patience 100\); translation ±25% of the side; Adam/);
  });

  test('resume refuses a changed augmentation and accepts the same one', () => {
    const saved = settings({ augment: { translation: 0.25, noise: 0.3 } });
    const given = (keys: string[]) => (k: string) => keys.includes(k);
    expect(resumeSettings('runs/x', saved, { augment: { translation: 0.25 } }, given(['augment']))).toEqual(saved);
    expect(() => resumeSettings('runs/x', saved, { augment: { translation: 0.2, rotation: 10 } }, given(['augment']))).toThrow(
      /--augment translation=0\.2 \(the run has translation = 0\.25\); --augment rotation=10 \(the run has rotation = 0\)/,
    );
  });
});

describe('on the device', () => {
  const data = generateSynthetic({ seed: 4, trainPerFile: 10, testCount: 0 });
  const count = 37;
  const all = Buffer.concat(data.train.map((f) => f.images)).subarray(0, count * 3072);
  const labels = Buffer.concat(data.train.map((f) => f.labels)).subarray(0, count);
  const shape = [3, 32, 32] as const;

  test('the swapped copies are what quadrantSwap makes of the gathered images, on odd shapes too', () => {
    for (const s of [[3, 32, 32], [2, 7, 9], [1, 28, 28]] as [number, number, number][]) {
      const n = 5;
      const bytes = s[0] * s[1] * s[2];
      const raw = Uint8Array.from({ length: n * bytes }, (_, i) => (i * 37 + 11) % 256);
      const both = swappedCopies(raw, n, s);
      expect(Buffer.compare(both.subarray(0, n * bytes), raw)).toBe(0);
      const t = Tensor.from(raw, [n, ...s], { device: 'cpu', dtype: 'uint8' });
      const order = Tensor.from(Int32Array.from({ length: n }, (_, i) => i), [n], { device: 'cpu', dtype: 'int32' });
      const l = Tensor.from(new Uint8Array(n), [n], { device: 'cpu', dtype: 'uint8' });
      const x = gatherBatch(t, l, order, 0, n).x;
      const copies = Tensor.from(both.subarray(n * bytes), [n, ...s], { device: 'cpu', dtype: 'uint8' });
      const y = gatherBatch(copies, l, order, 0, n).x;
      expect(Array.from(y.toArray())).toEqual(Array.from(quadrantSwap(x).toArray()));
      for (const u of [t, order, l, x, copies, y]) u.dispose();
    }
  });

  test('each image is swapped with the given probability, independently of the others', () => {
    const n = 20_000;
    for (const p of [0.1, 0.5, 0.9]) {
      const picked = swapChoices(123, 7, n, p).filter(Boolean).length;
      expect(Math.abs(picked / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
    }
    expect(swapChoices(1, 2, 100, 0).some(Boolean)).toBe(false);
    expect(swapChoices(1, 2, 100, 1).every(Boolean)).toBe(true);
    expect(swapChoices(1, 2, 50, 0.5)).toEqual(swapChoices(1, 2, 50, 0.5));
    expect(swapChoices(1, 3, 50, 0.5)).not.toEqual(swapChoices(1, 2, 50, 0.5));
  });

  test('the epoch order points the images the swap picks at their copies; without a swap it is the plain order', () => {
    const plain = augmentPlan(settings({ noise: 0.2 }), 9);
    expect(trainingOrder(9, 3, count, 8, plain)).toEqual(epochOrder(9, 3, count));
    const plan = augmentPlan(settings({ augment: { swap: 0.5 } }), 9);
    const order = trainingOrder(9, 3, count, 8, plan);
    const base = epochOrder(9, 3, count);
    const total = Math.ceil(count / 8);
    for (let batch = 0; batch < total; batch++) {
      const n = Math.min(8, count - batch * 8);
      const picked = swapChoices(plan.swap!.seed, batchStream(3, batch, total), n, 0.5);
      for (let i = 0; i < n; i++) expect(order[batch * 8 + i]).toBe(base[batch * 8 + i] + (picked[i] ? count : 0));
    }
    expect(plan.swap!.seed).toBe(derivedSeed(9, 'train-swap'));
  });

  const seed = 21;
  const batchSize = 16;
  const epoch = 2;
  const everything = () => settings({ augment: parseAugmentList('noise=0.2,translation=0.25,edge_noise=0.3,rotation=30,swap=0.5') });

  /** The augmented batches of one epoch on `device`, as the training loop makes them. */
  function augmentedBatches(device: string): Float32Array[] {
    const plan = augmentPlan(everything(), seed);
    const train = new DeviceSplit('train', all, labels, count, device, 10, shape, true);
    const order = Tensor.from(trainingOrder(seed, epoch, count, batchSize, plan), [count], { device, dtype: 'int32' });
    const total = Math.ceil(count / batchSize);
    const out: Float32Array[] = [];
    for (let batch = 0; batch < total; batch++) {
      const n = Math.min(batchSize, count - batch * batchSize);
      out.push(augmentBatch(train.gather(order, batch * batchSize, n), plan, batchStream(epoch, batch, total)).toArray() as Float32Array);
    }
    train.dispose();
    order.dispose();
    return out;
  }

  test('the batch the network is given is the composition of the ops by hand: swap, rotation, translation, edge noise, noise', () => {
    const plan = augmentPlan(everything(), seed);
    expect(plan.steps.map((s) => s.kind)).toEqual(['rotation', 'translation', 'edge_noise', 'noise']);
    const seen = augmentedBatches('cpu');
    const clean = new DeviceSplit('clean', all, labels, count, 'cpu', 10, shape);
    const plainOrder = Tensor.from(epochOrder(seed, epoch, count), [count], { device: 'cpu', dtype: 'int32' });
    const total = Math.ceil(count / batchSize);
    expect(seen).toHaveLength(total);
    for (let batch = 0; batch < total; batch++) {
      const offset = batch * batchSize;
      const n = Math.min(batchSize, count - offset);
      const stream = batchStream(epoch, batch, total);
      // By hand: the clean batch, its chosen images swapped, then each op with its own seed and the batch's stream.
      const x = gatherBatch(clean.images, clean.labels, plainOrder, offset, n).x;
      const swapped = quadrantSwap(x);
      const picked = swapChoices(derivedSeed(seed, 'train-swap'), stream, n, 0.5);
      const mixed = Float32Array.from(x.toArray());
      const swappedValues = swapped.toArray();
      picked.forEach((p, i) => p && mixed.set(swappedValues.subarray(i * 3072, (i + 1) * 3072), i * 3072));
      const x0 = Tensor.from(mixed, [n, ...shape], { device: 'cpu' });
      const x1 = rotate(x0, 30, derivedSeed(seed, 'train-rotation'), stream);
      const x2 = translate(x1, 0.25, derivedSeed(seed, 'train-translation'), stream);
      const x3 = edgeNoise(x2, 0.3, 5, derivedSeed(seed, 'train-edge-noise'), stream);
      const x4 = gaussianNoise(x3, 0.2, derivedSeed(seed, 'train-noise'), stream);
      expect(Buffer.compare(Buffer.from(seen[batch].buffer), Buffer.from(x4.toArray().buffer))).toBe(0);
      for (const t of [x, swapped, x0, x1, x2, x3, x4]) t.dispose();
    }
    clean.dispose();
    plainOrder.dispose();
  });

  describeCuda('on a GPU', () => {
    test('the augmented batches equal the CPU ones (rotation within 1e-6, as its op)', () => {
      const cpu = augmentedBatches('cpu');
      const cuda = augmentedBatches('cuda:0');
      cpu.forEach((b, k) => expectClose(cuda[k], b, `augmented batch ${k} on cuda:0`, { rtol: 0, atol: 1e-6 }));
    });
  });

  test('noise alone is what the loop always added: the train-noise seed and the running batch counter', () => {
    const plan = augmentPlan(settings({ noise: 0.5 }), 3);
    const split = new DeviceSplit('train', all, labels, count, 'cpu', 10, shape);
    const order = Tensor.from(epochOrder(3, 1, count), [count], { device: 'cpu', dtype: 'int32' });
    const b = split.gather(order, 16, 16);
    const expected = gaussianNoise(b.x, 0.5, derivedSeed(3, 'train-noise'), batchStream(1, 1, 3)).toArray();
    expect(augmentBatch(b, plan, batchStream(1, 1, 3))).toBe(b.x);
    expect(Array.from(b.x.toArray())).toEqual(Array.from(expected));
    split.dispose();
    order.dispose();
  });
});
