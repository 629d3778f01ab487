// The sweep's spec, points and folder, without training: parsing YAML/JSON and flags, point names
// and train flags, validation through train's own parser (a bad point fails before anything
// runs), a changed spec refused or extended, the sbatch scripts, and the progress display.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { cli } from './helpers/cli';
import { openSweep, pointStatus, readSweepFile } from '../src/sweep/folder';
import { pointArgs, pointJob, pointProblem } from '../src/sweep/launch';
import { expandPoints, pointFlags, pointName } from '../src/sweep/points';
import { arrayRanges, arrayScriptText, aggregateScriptText } from '../src/sweep/slurm';
import { SweepSpec, mergeSpecs, parseGridFlag, parseSeeds, readSpecFile, specFromObject } from '../src/sweep/spec';
import { PoolDisplay } from '../src/sweep/display';

let tmp: string;
beforeAll(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-sweep-spec-'))));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const write = (name: string, text: string): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('the spec', () => {
  test('YAML and JSON files give the same spec; seeds as ranges or lists', () => {
    const yaml = readSpecFile(write('a.yaml', 'grid:\n  noise: [0, 0.5]\n  augment.translation: [0, 0.25]\nseeds: 1-3\ntrain:\n  dataset: synthetic\n  cnn-epochs: 2\n  robustness: false\n'));
    const json = readSpecFile(write('a.json', JSON.stringify({ grid: { noise: [0, 0.5], 'augment.translation': [0, 0.25] }, seeds: [1, 2, 3], train: { dataset: 'synthetic', 'cnn-epochs': 2, robustness: false } })));
    expect(yaml).toEqual(json);
    expect(yaml).toEqual({
      grid: { noise: [0, 0.5], 'augment.translation': [0, 0.25] },
      seeds: [1, 2, 3],
      train: { dataset: 'synthetic', 'cnn-epochs': 2, robustness: false },
    });
    expect(parseSeeds('1-3,7,9-10')).toEqual([1, 2, 3, 7, 9, 10]);
    expect(parseSeeds(5)).toEqual([5]);
  });

  test('bad specs are refused with the key or value named', () => {
    expect(() => readSpecFile(path.join(tmp, 'none.yaml'))).toThrow(/none\.yaml: cannot read the sweep spec \(ENOENT\)/);
    expect(() => readSpecFile(write('b.json', '{"grid": '))).toThrow(/b\.json: not valid JSON/);
    expect(() => readSpecFile(write('c.yaml', 'grid: [1, 2]'))).toThrow(/c\.yaml: grid must map train flags to lists of values/);
    expect(() => specFromObject({ grids: {} }, 'x')).toThrow(/x: unknown key 'grids' \(expected grid, seeds and train\)/);
    expect(() => specFromObject({ grid: { noise: [] } }, 'x')).toThrow(/x: grid\.noise: no values/);
    expect(() => specFromObject({ grid: { noise: [0, 0] } }, 'x')).toThrow(/grid\.noise lists 0 twice/);
    expect(() => specFromObject({ grid: { noise: [{ a: 1 }] } }, 'x')).toThrow(/grid\.noise\[0\]: expected a number, a string or true\/false/);
    expect(() => specFromObject({ grid: { seed: [1, 2] } }, 'x')).toThrow(/give seeds as seeds/);
    expect(() => specFromObject({ train: { out: 'here' } }, 'x')).toThrow(/--out is set by the sweep for each point/);
    expect(() => specFromObject({ grid: { noise: [0] }, train: { noise: 0.5 } }, 'x')).toThrow(/noise is both in the grid and fixed in train/);
    expect(() => parseSeeds('3-1')).toThrow(/the range 3-1 runs backwards/);
    expect(() => parseSeeds('1,x')).toThrow(/'x' is not a seed or a range/);
    expect(() => parseSeeds('1,1')).toThrow(/seed 1 is listed twice/);
    expect(() => parseSeeds([-1])).toThrow(/a seed must be a whole number in \[0, 2\^32\), got -1/);
    expect(() => parseGridFlag('noise')).toThrow(/--grid noise: expected KEY=V1,V2/);
  });

  test('command-line grid and train flags go over the file', () => {
    const file: SweepSpec = { grid: { noise: [0, 0.5] }, seeds: [1], train: { lr: 0.001, 'cnn-epochs': 5 } };
    expect(mergeSpecs(file, [parseGridFlag('lr=0.01,0.1')], parseSeeds('1-2'), { noise: 0.3 })).toEqual({
      grid: { lr: [0.01, 0.1] },
      seeds: [1, 2],
      train: { 'cnn-epochs': 5, noise: 0.3 },
    });
    expect(parseGridFlag('noise=0,0.50,.3')).toEqual(['noise', [0, 0.5, 0.3]]);
    expect(parseGridFlag('robustness=true,false')).toEqual(['robustness', [true, false]]);
  });
});

describe('points', () => {
  const spec: SweepSpec = { grid: { noise: [0, 0.5], 'cnn-epochs': [1, 2] }, seeds: [1, 2], train: { dataset: 'synthetic', robustness: false } };

  test('every combination × seed, the first key slowest, named by settings and seed', () => {
    const points = expandPoints(spec);
    expect(points.map((p) => p.name)).toEqual([
      'noise=0,cnn-epochs=1,seed=1', 'noise=0,cnn-epochs=1,seed=2', 'noise=0,cnn-epochs=2,seed=1', 'noise=0,cnn-epochs=2,seed=2',
      'noise=0.5,cnn-epochs=1,seed=1', 'noise=0.5,cnn-epochs=1,seed=2', 'noise=0.5,cnn-epochs=2,seed=1', 'noise=0.5,cnn-epochs=2,seed=2',
    ]);
    expect(points[5]).toEqual({ name: 'noise=0.5,cnn-epochs=1,seed=2', settings: { noise: 0.5, 'cnn-epochs': 1 }, seed: 2 });
    expect(expandPoints({ grid: {}, seeds: [7], train: {} }).map((p) => p.name)).toEqual(['seed=7']);
  });

  test('names are filesystem-safe and map back to their values', () => {
    expect(pointName({ 'data-dir': '/data/cifar 10', dataset: 'synthetic' }, 1)).toBe('data-dir=%2Fdata%2Fcifar%2010,dataset=synthetic,seed=1');
    expect(pointName({ augment: 'translation=0.25,noise=0.3' }, 2)).toBe('augment=translation%3D0.25%2Cnoise%3D0.3,seed=2');
    expect(pointName({ lr: 1e-4 }, 0)).toBe('lr=0.0001,seed=0');
    expect(() => pointName({ 'data-dir': 'x'.repeat(300) }, 0)).toThrow(/over 200 bytes/);
  });

  test('a point is train with the fixed flags, its grid values and --seed; switches and k=v entries as train writes them', () => {
    const [point] = expandPoints(spec);
    expect(pointFlags(spec, point)).toEqual(['--dataset', 'synthetic', '--no-robustness', '--noise', '0', '--cnn-epochs', '1', '--seed', '1']);
    // augment.<kind> entries join a whole --augment value into one flag.
    const dotted: SweepSpec = { grid: { 'augment.translation': [0.25] }, seeds: [1], train: { augment: 'noise=0.3' } };
    expect(pointFlags(dotted, expandPoints(dotted)[0])).toEqual(['--augment', 'noise=0.3,translation=0.25', '--seed', '1']);
    const notKv: SweepSpec = { grid: { 'robustness.x': [1] }, seeds: [1], train: {} };
    expect(() => pointFlags(notKv, expandPoints(notKv)[0])).toThrow(/robustness\.x: train has no flag --robustness that takes k=v entries/);
    const switchAsValue: SweepSpec = { grid: {}, seeds: [1], train: { robustness: 'yes' } };
    expect(() => pointFlags(switchAsValue, expandPoints(switchAsValue)[0])).toThrow(/point seed=1: robustness: --robustness is a switch: write robustness: false/);
    const unknown: SweepSpec = { grid: { nois: [0] }, seeds: [1], train: {} };
    expect(() => pointFlags(unknown, expandPoints(unknown)[0])).toThrow(/point nois=0,seed=1: nois: train has no flag --nois/);
    const args = pointArgs('/s', spec, point, 'started', { threads: 3, device: 'cuda:1' });
    expect(args.slice(0, 3)).toEqual(['train', '--resume', path.resolve('/s', point.name)]);
    expect(args.slice(-4)).toEqual(['--threads', '3', '--device', 'cuda:1']);
    const fixedThreads: SweepSpec = { ...spec, train: { ...spec.train, threads: 1 } };
    expect(pointArgs('/s', fixedThreads, point, 'new', { threads: 3 })).not.toContain('3');
  });

  test('a point is a training job: its settings as data, read by train\'s flags, in its own folder', () => {
    const [point] = expandPoints(spec);
    const job = pointJob('/s', spec, point, 'new', { threads: 3 });
    expect(job).toMatchObject({ runDir: path.resolve('/s', point.name), resume: false, png: true, stopAfterEpochs: null });
    expect(job.settings).toEqual({ dataset: 'synthetic', robustness: false, noise: 0, cnnEpochs: 1, seed: 1, threads: 3 });
    expect(job.argv).toEqual(['wsr-native', ...pointArgs('/s', spec, point, 'new', { threads: 3 })]);
    expect(JSON.parse(JSON.stringify(job))).toEqual(job);
    expect(pointJob('/s', spec, point, 'started').resume).toBe(true);
    const dotted: SweepSpec = { grid: { 'augment.translation': [0.25] }, seeds: [1], train: { augment: 'noise=0.3', png: false } };
    const dottedJob = pointJob('/s', dotted, expandPoints(dotted)[0], 'new');
    expect(dottedJob.settings).toEqual({ noise: 0.3, translation: 0.25, seed: 1 });
    expect(dottedJob.png).toBe(false);
  });

  test("train's flags and the settings table judge each point", () => {
    const judge = (train: SweepSpec['train']): string | null => {
      const one: SweepSpec = { grid: {}, seeds: [1], train };
      return pointProblem(one, expandPoints(one)[0]);
    };
    expect(judge({ noise: 0.5 })).toBeNull();
    expect(judge({ noise: -1 })).toMatch(/^point seed=1: option '--noise <sigma>' argument '-1' is invalid\. must be >= 0/);
    expect(judge({ split: 'paper', validation: 100 })).toMatch(/^point seed=1: validation sets the held-out count of the standard split/);
    expect(judge({ augment: 'translaton=0.25' })).toMatch(/argument 'translaton=0\.25' is invalid\. unknown augmentation 'translaton'/);
    expect(judge({ noise: 0.3, augment: 'noise=0.5' })).toMatch(/^point seed=1: --noise 0\.3 and --augment noise=0\.5 disagree/);
  });
});

describe('the sweep command refuses bad input before anything runs', () => {
  test('a bad value names the point and the flag; no folder is made', async () => {
    const out = path.join(tmp, 'bad');
    const r = await cli('sweep', '--out', out, '--grid', 'lr=0.001,-1', '--grid', 'noise=0,2x', '--dataset', 'synthetic');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the sweep has 3 bad point\(s\); nothing ran/);
    expect(r.stderr).toMatch(/point lr=-1,noise=0,seed=0: option '--lr <rate>' argument '-1' is invalid\. must be > 0/);
    expect(r.stderr).toMatch(/point lr=0\.001,noise=2x,seed=0: option '--noise <sigma>' argument '2x' is invalid\. expected a number/);
    expect(fs.existsSync(out)).toBe(false);
  });

  test('a bad fixed flag is refused by commander itself; an unknown grid key is named', async () => {
    const bad = await cli('sweep', '--out', path.join(tmp, 'bad2'), '--grid', 'noise=0', '--cnn-epochs', 'zero');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/option '--cnn-epochs <n>' argument 'zero' is invalid/);
    const unknown = await cli('sweep', '--out', path.join(tmp, 'bad3'), '--grid', 'nosie=0,1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/point nosie=0,seed=0: nosie: train has no flag --nosie \(see wsr-native train --help\)/);
    const none = await cli('sweep', '--out', path.join(tmp, 'bad4'));
    expect(none.stderr).toMatch(/bad4 holds no sweep yet: give a spec file, or --grid and --seeds/);
  });

  test('a local dry run lists each point’s command and writes nothing', async () => {
    const out = path.join(tmp, 'dry');
    const r = await cli('sweep', '--out', out, '--grid', 'noise=0,0.5', '--seeds', '1-2', '--dataset', 'synthetic', '--jobs', '2', '--dry-run');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toMatch(/cli\.js train --out \S+dry\/noise=0\.5,seed=2 --dataset synthetic --noise 0\.5 --seed 2 --threads \d+$/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('the sweep folder', () => {
  const spec: SweepSpec = { grid: { noise: [0, 0.5] }, seeds: [1, 2], train: { dataset: 'synthetic' } };

  test('the same spec reopens it; a changed one is refused; --extend adds grid values and seeds only', () => {
    const dir = path.join(tmp, 'folder');
    const first = openSweep(dir, spec, false);
    expect(first.added).toHaveLength(4);
    const json = readSweepFile(dir)!;
    expect(json).toMatchObject({ format: 'wsr-native-sweep', version: 1, spec, points: first.file.points });
    expect(openSweep(dir, spec, false).added).toEqual([]);

    const more: SweepSpec = { ...spec, grid: { noise: [0, 0.5, 0.3] }, seeds: [1, 2, 3] };
    expect(() => openSweep(dir, more, false)).toThrow(/holds a sweep of another spec \(grid noise: \[0,0\.5\] → \[0,0\.5,0\.3\]; seeds: 1,2 → 1,2,3\)\. The new spec only adds points: add --extend/);
    const extended = openSweep(dir, more, true);
    expect(extended.added.map((p) => p.name)).toEqual(['noise=0,seed=3', 'noise=0.5,seed=3', 'noise=0.3,seed=1', 'noise=0.3,seed=2', 'noise=0.3,seed=3']);
    expect(readSweepFile(dir)!.created).toBe(json.created);

    const changedTrain: SweepSpec = { ...more, train: { dataset: 'synthetic', lr: 0.01 } };
    expect(() => openSweep(dir, changedTrain, true)).toThrow(/train lr: null → 0\.01\)\. Only grid values and seeds can be added/);
    const dropped: SweepSpec = { ...more, seeds: [1] };
    expect(() => openSweep(dir, dropped, true)).toThrow(/seeds: 1,2,3 → 1/);
    expect(pointStatus(dir, first.file.points[0])).toBe('new');
  });

  test('a run folder is not taken for a sweep folder', () => {
    const dir = path.join(tmp, 'runfolder');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), '{}');
    expect(() => openSweep(dir, spec, false)).toThrow(/is a run folder, not a sweep folder/);
  });
});

describe('the Slurm scripts', () => {
  test('one array task per unfinished point, requeueable, with the sbatch settings passed through', () => {
    expect(arrayRanges([0, 2, 5, 6, 7, 9])).toBe('0,2,5-7,9');
    const text = arrayScriptText('/shared/sweep', [0, 1, 3], { partition: 'gpu', time: '4:00:00', cpusPerTask: 4, gres: 'gpu:1', arrayLimit: 2, dryRun: true }, '/shared');
    const lines = text.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    for (const d of ['--array=0-1,3%2', '--requeue', '--open-mode=append', '--chdir=/shared', '--output=/shared/sweep/slurm/task-%A_%a.out', '--cpus-per-task=4', '--partition=gpu', '--time=4:00:00', '--gres=gpu:1']) {
      expect(lines).toContain(`#SBATCH ${d}`);
    }
    expect(lines.at(-2)).toMatch(/^exec \S+node \S+cli\.js sweep-task \/shared\/sweep "\$SLURM_ARRAY_TASK_ID"$/);
    expect(aggregateScriptText('/shared/sweep', { dryRun: true }, '/shared')).toMatch(/exec \S+node \S+cli\.js aggregate \/shared\/sweep\n$/);
  });

  test('--dry-run writes the scripts without submitting; bad sbatch values are refused', async () => {
    const out = path.join(tmp, 'slurm-dry');
    const r = await cli('sweep', '--out', out, '--executor', 'slurm', '--dry-run', '--grid', 'noise=0,0.5', '--dataset', 'synthetic', '--time', '1:00:00');
    expect(r.stderr).toBe(`sweep ${out}: 2 point(s)\n`);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/wrote \S+array\.sbatch \(2 task\(s\)\) and \S+aggregate\.sbatch; submit with:\n {2}sbatch \S+array\.sbatch/);
    expect(fs.readFileSync(path.join(out, 'slurm', 'array.sbatch'), 'utf8')).toMatch(/#SBATCH --array=0-1\n/);
    expect(fs.existsSync(path.join(out, 'slurm', 'submissions.jsonl'))).toBe(false);
    const bad = await cli('sweep', '--out', out, '--executor', 'slurm', '--dry-run', '--partition', 'a b');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--partition "a b": not a value sbatch takes/);
  });
});

describe('the progress display', () => {
  test('on a terminal: a status line and one line per running point, redrawn in place', () => {
    let text = '';
    const d = new PoolDisplay({ isTTY: true, columns: 80, write: (s: string) => (text += s) }, 3, 1, 0);
    d.started(0, 'noise=0,seed=1', 'train');
    d.output(0, 'cnn epoch 1/2  loss 2.30');
    expect(text).toMatch(/start noise=0,seed=1: train\n/);
    expect(text).toMatch(/\x1b\[2F\x1b\[Jsweep: 1\/3 finished, 1 running\n {2}noise=0,seed=1 {2}0:00 {2}cnn epoch 1\/2 {2}loss 2\.30\n$/);
    d.ended(0, 'finished', '');
    d.close();
    expect(text).toMatch(/finished noise=0,seed=1 after 0:00\n/);
  });

  test('elsewhere: plain lines, the epoch lines prefixed by the point', () => {
    let text = '';
    const d = new PoolDisplay({ write: (s: string) => (text += s) }, 2, 0);
    d.started(1, 'seed=2', 'resume');
    d.output(1, 'device: cpu');
    d.output(1, 'fcn epoch 3 (branch 1/1)  loss 2.2');
    d.ended(1, 'failed', 'exit 1; log: x');
    expect(text).toBe('start seed=2: resume\n[seed=2] fcn epoch 3 (branch 1/1)  loss 2.2\nfailed seed=2 after 0:00: exit 1; log: x\n');
  });
});
