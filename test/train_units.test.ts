// The training loop's pieces that need no training: epoch orders and streams, early stopping,
// the checkpoint format, the run-folder lock, settings from flags and presets, resume conflicts.
import { spawnSync } from 'child_process';
import { TS_REQUIRE_HOOK } from './helpers/cli';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { resumeSettings } from '../src/cli/resume';
import { settingsFromFlags } from '../src/train/flags';
import { readCheckpoint, writeCheckpoint } from '../src/train/runFolder';
import { readSafetensors, writeSafetensors } from '../src/safetensors';
import { EarlyStopping } from '../src/train/evaluate';
import { LOCK_FILE, RunLockedError, acquireRunLock } from '../src/train/lock';
import { batchStream, derivedSeed, epochOrder, robustnessStream } from '../src/train/batches';
import { BarProgress, LineProgress, formatDuration, progressFor } from '../src/train/progress';
import { EXPERIMENT_PRESETS, describeSettings } from '../src/train/settings';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-train-units-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('epoch orders and streams', () => {
  test('an epoch order is a permutation, a pure function of (seed, epoch)', () => {
    const a = epochOrder(7, 3, 1000);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(7, 3, 1000)).toEqual(a);
    expect(epochOrder(7, 4, 1000)).not.toEqual(a);
    expect(epochOrder(8, 3, 1000)).not.toEqual(a);
    expect(Array.from(epochOrder(1, 1, 1))).toEqual([0]);
    expect(epochOrder(1, 1, 0).length).toBe(0);
  });

  test('orders look uniform: each position holds each image about equally often', () => {
    const n = 8;
    const counts = Array.from({ length: n }, () => new Array<number>(n).fill(0));
    const epochs = 4000;
    for (let e = 1; e <= epochs; e++) epochOrder(42, e, n).forEach((image, pos) => counts[pos][image]++);
    // Expected 500 per cell; binomial SD ≈ 21; allow 6 SD.
    for (const row of counts) for (const c of row) expect(Math.abs(c - epochs / n)).toBeLessThan(130);
  });

  test('batch streams count batches over the run; robustness streams are fixed per (perturbation, batch)', () => {
    expect(batchStream(1, 0, 10)).toBe(0);
    expect(batchStream(1, 9, 10)).toBe(9);
    expect(batchStream(2, 0, 10)).toBe(10);
    const streams = new Set<number>();
    for (let k = 0; k < 5; k++) for (let b = 0; b < 100; b++) streams.add(robustnessStream(k, b));
    expect(streams.size).toBe(500);
    expect(derivedSeed(1, 'train-noise')).not.toBe(derivedSeed(1, 'robustness'));
    expect(derivedSeed(1, 'train-noise')).toBe(derivedSeed(1, 'train-noise'));
  });
});

describe('early stopping', () => {
  test('stops after `patience` epochs without a strictly better validation accuracy', () => {
    const es = new EarlyStopping(2);
    expect(es.update(1, 0.5)).toBe(true);
    expect(es.update(2, 0.5)).toBe(false); // equal is not better
    expect(es.stopped).toBe(false);
    expect(es.update(3, 0.4)).toBe(false);
    expect(es.stopped).toBe(true);
    expect(es.bestEpoch).toBe(1);
    expect(es.best).toBe(0.5);
  });

  test('a NaN never improves; state round-trips', () => {
    const es = new EarlyStopping(3);
    es.update(1, NaN);
    expect(es.best).toBeNull();
    es.update(2, 0.1);
    const copy = new EarlyStopping(3, es.state());
    expect(copy.state()).toEqual(es.state());
    expect(() => new EarlyStopping(0)).toThrow(/patience/);
  });
});

describe('checkpoint files', () => {
  test('named float32 arrays and meta round-trip exactly', () => {
    const file = path.join(tmp, 'a.ckpt');
    const tensors = new Map<string, Float32Array>([
      ['param/conv1.weight', Float32Array.from([1.5, -2, NaN, Infinity])],
      ['empty', new Float32Array(0)],
      ['optimizer/m/0', Float32Array.from({ length: 1001 }, (_, i) => i / 7)],
    ]);
    writeCheckpoint(file, { meta: { epoch: 3, note: 'ü' }, tensors });
    const back = readCheckpoint(file);
    expect(back.meta).toEqual({ epoch: 3, note: 'ü' });
    expect([...back.tensors.keys()]).toEqual([...tensors.keys()]);
    for (const [k, v] of tensors) expect(Buffer.from(back.tensors.get(k)!.buffer)).toEqual(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  });

  test('a checkpoint is a safetensors file: shapes kept, the meta as JSON text in __metadata__', () => {
    const file = path.join(tmp, 'c.safetensors');
    const tensors = new Map([['param/conv1.weight', Float32Array.from({ length: 24 }, (_, i) => i)], ['optimizer/m/0', new Float32Array(3)]]);
    writeCheckpoint(file, { meta: { epoch: 3, optimizer: { kind: 'adam' } }, tensors, shapes: new Map([['param/conv1.weight', [2, 3, 2, 2]]]) });
    const raw = readSafetensors(file);
    expect(raw.metadata).toEqual({ format: 'wsr-native-checkpoint', version: '2', epoch: '3', optimizer: '{"kind":"adam"}' });
    expect(raw.tensors.get('param/conv1.weight')!.shape).toEqual([2, 3, 2, 2]);
    expect(raw.tensors.get('optimizer/m/0')!.shape).toEqual([3]);
    const back = readCheckpoint(file);
    expect(back.meta).toEqual({ epoch: 3, optimizer: { kind: 'adam' } });
    expect(back.shapes.get('param/conv1.weight')).toEqual([2, 3, 2, 2]);
    writeSafetensors(file, [{ name: 'w', shape: [1], data: new Float32Array(1) }], { format: 'pt' });
    expect(() => readCheckpoint(file)).toThrow(/c\.safetensors: not a wsr-native checkpoint \(a safetensors file with format "pt"/);
  });

  test('a truncated or foreign file is refused with its name', () => {
    const file = path.join(tmp, 'b.ckpt');
    writeCheckpoint(file, { meta: {}, tensors: new Map([['x', new Float32Array(100)]]) });
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 8));
    expect(() => readCheckpoint(file)).toThrow(/b\.ckpt: checkpoint is truncated/);
    fs.writeFileSync(file, 'hello world, not a checkpoint');
    expect(() => readCheckpoint(file)).toThrow(/b\.ckpt: not a wsr-native checkpoint/);
  });
});

describe('run folder lock', () => {
  test('a live holder is refused; a dead one is taken over; release removes the file', () => {
    const dir = path.join(tmp, 'run-lock');
    const lock = acquireRunLock(dir);
    // The lock records its holder: host, pid (and its start time), a lease (see test/lock.test.ts).
    expect(JSON.parse(fs.readFileSync(path.join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, host: os.hostname() });
    expect(() => acquireRunLock(dir)).toThrow(RunLockedError);
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE))).toBe(false);

    // pid 1 is always alive: refused, with the pid in the message.
    fs.writeFileSync(path.join(dir, LOCK_FILE), '1\n');
    expect(() => acquireRunLock(dir)).toThrow(/in use by another wsr-native process \(pid 1\)/);

    // A process that has exited leaves a stale lock.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    fs.writeFileSync(path.join(dir, LOCK_FILE), `${deadPid}\n`);
    const taken = acquireRunLock(dir);
    expect(taken.tookOverFrom).toBe(deadPid);
    taken.release();
  });
});

describe('settings from flags', () => {
  test('experiment presets, with every flag overriding; --cnn-continue-epochs follows --fcn-epochs', () => {
    const e1 = settingsFromFlags({ device: 'cpu' }, EXPERIMENT_PRESETS[1], 1);
    expect(e1).toMatchObject({ noise: 0.3, cnnEpochs: 100, cnnContinueEpochs: 100, fcnEpochs: 200, patience: 100, experiment: 1 });
    const e0 = settingsFromFlags({ device: 'cpu' }, EXPERIMENT_PRESETS[0], 0);
    expect(e0).toMatchObject({ noise: 0, cnnEpochs: 500, cnnContinueEpochs: 500, fcnEpochs: 500, patience: 100 });
    const e2 = settingsFromFlags({ device: 'cpu', fcnEpochs: 7 }, EXPERIMENT_PRESETS[2], 2);
    expect(e2).toMatchObject({ noise: 0.5, cnnEpochs: 100, fcnEpochs: 7, cnnContinueEpochs: 7 });
    const e3 = settingsFromFlags({ device: 'cpu', noise: 0.1, patience: 5, cnnContinueEpochs: 3 }, EXPERIMENT_PRESETS[3], 3);
    expect(e3).toMatchObject({ noise: 0.1, cnnEpochs: 50, fcnEpochs: 50, cnnContinueEpochs: 3, patience: 5 });
    const plain = settingsFromFlags({ device: 'cpu' }, null, null);
    expect(plain).toMatchObject({ optimizer: 'adam', lr: 1e-4, batchSize: 128, robustness: true, experiment: null });
  });

  test('resume keeps the saved settings, allows --device/--threads/--data-dir, refuses other changes', () => {
    const saved = settingsFromFlags({ device: 'cpu', noise: 0.5, threads: 2 }, null, null);
    const given = (keys: string[]) => (k: string) => keys.includes(k);
    const same = resumeSettings('runs/x', saved, { noise: 0.5, threads: 1, device: 'cpu' }, given(['noise', 'threads', 'device']));
    expect(same).toEqual({ ...saved, threads: 1 });
    expect(() => resumeSettings('runs/x', saved, { noise: 0.3, lr: 1 }, given(['noise', 'lr']))).toThrow(
      /--noise 0\.3 \(the run has noise = 0\.5\); --lr 1 \(the run has lr = 0\.0001\)/,
    );
    expect(() => resumeSettings('runs/x', saved, { out: 'runs/y' }, given(['out']))).toThrow(/--out runs\/y/);
  });
});

describe('progress', () => {
  const sink = (isTTY: boolean) => {
    const out = { text: '', isTTY, columns: 100, write: (t: string) => (out.text += t) };
    return out;
  };

  test('a terminal gets a bar redrawn in place with ETA and running loss, then the epoch line', () => {
    const out = sink(true);
    expect(progressFor(out)).toBeInstanceOf(BarProgress);
    const bar = new BarProgress(out, 0, 0);
    let reads = 0;
    bar.epochStart('cnn epoch 1/2', 4);
    for (let b = 1; b <= 4; b++) bar.batch(b, 4, () => (reads++, 2.5 - b / 10));
    expect(reads).toBeGreaterThan(0);
    // cli-progress draws: cursor to column 1 (ESC[1G), the line, erase to its end (ESC[0K).
    expect(out.text).toMatch(/\x1b\[1Gcnn epoch 1\/2 \[=+>? *\] +25% 1\/4 ETA \d+:\d\d loss 2\.4000\x1b\[0K/);
    expect(out.text).toMatch(/100% 4\/4 ETA 0:00 loss 2\.1000/);
    bar.evaluating();
    expect(out.text).toMatch(/\x1b\[1Gcnn epoch 1\/2 evaluating \(train \d+:\d\d\)\x1b\[0K$/);
    bar.epochEnd('cnn epoch 1/2  loss 2.1');
    // The bar's line is erased (ESC[1G ESC[2K) before the epoch's line.
    expect(out.text.endsWith('\x1b[1G\x1b[2Kcnn epoch 1/2  loss 2.1\n')).toBe(true);
  });

  test('a line of text during an epoch goes above the bar, which is drawn again', () => {
    const out = sink(true);
    const bar = new BarProgress(out, 0, 0);
    bar.epochStart('fcn epoch 3', 10);
    bar.batch(5, 10, () => 1.5);
    const before = out.text.length;
    bar.line('warning: something');
    const after = out.text.slice(before);
    expect(after).toMatch(/^\x1b8\x1b\[1G\x1b\[2Kwarning: something\n\x1b7\x1b\[1Gfcn epoch 3 \[=+>? *\] +50% 5\/10 ETA \d+:\d\d loss 1\.5000\x1b\[0K$/);
    bar.epochEnd('done');
  });

  test('a bar still on screen does not keep the process alive (a run that fails mid-epoch exits)', () => {
    const root = path.join(__dirname, '..');
    const tty = '{ isTTY: true, columns: 80, write: () => true }';
    // cli-progress alone keeps its redraw timer running: the process would wait for it.
    const bare = `const b = new (require('cli-progress').SingleBar)({ stream: ${tty} }); b.start(10, 1);`;
    expect(spawnSync(process.execPath, ['-e', bare], { cwd: root, timeout: 3000 }).signal).toBe('SIGTERM');
    const ours = `${TS_REQUIRE_HOOK}
const p = new (require('./src/train/progress.ts').BarProgress)(${tty}, 0, 0);
p.epochStart('cnn epoch 1/2', 10);
p.batch(1, 10, () => 1);`;
    const r = spawnSync(process.execPath, ['-e', ours], { cwd: root, timeout: 30_000 });
    expect([r.signal, r.status, r.stderr.toString()]).toEqual([null, 0, '']);
  });

  test('the running loss (a device read) is read at most once per interval', () => {
    const out = sink(true);
    const bar = new BarProgress(out, 0, 60_000);
    let reads = 0;
    bar.epochStart('x', 100);
    for (let b = 1; b <= 100; b++) bar.batch(b, 100, () => (reads++, 1));
    expect(reads).toBe(1); // only the final batch
  });

  test('elsewhere one plain line per epoch, no bar', () => {
    const out = sink(false);
    const p = progressFor(out);
    expect(p).toBeInstanceOf(LineProgress);
    p.epochStart('cnn epoch 1/2', 4);
    p.batch(1, 4, () => 1);
    p.evaluating();
    p.epochEnd('cnn epoch 1/2  loss 2.1');
    p.line('finished');
    expect(out.text).toBe('cnn epoch 1/2  loss 2.1\nfinished\n');
  });

  test('durations and the settings line', () => {
    expect(formatDuration(5)).toBe('0:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('--:--');
    const s = settingsFromFlags({ device: 'cpu' }, EXPERIMENT_PRESETS[2], 2);
    expect(describeSettings(s)).toBe(
      'experiment 2: CNN 100 epoch(s), then the CNN continued 500 and the FCN 500 (early stopping patience 100); ' +
        'noise σ 0.5; Adam lr 0.0001; batch 128; seed 0',
    );
  });
});
