// Shared CNN phases: a sweep of three conversion epochs × two seeds trains exactly two CNN phases
// (one trajectory per seed), each point forking from its trajectory at its own epoch; a forked point
// ends with exactly the metrics of a standalone run with --cnn-epochs E (CPU, one thread; every
// column but `seconds`), with the conversion taking the best weights or, with --convert last, the
// conversion epoch's own.
import fs from 'fs';
import os from 'os';
import path from 'path';
import { childCli } from './helpers/cli';
import { runBoot, writeBootScript, writeJobBootScript } from './sweep_helpers';
import { EpochRecord } from '../src/report';
import { runRecords, withoutSeconds } from './helpers/runRecords';
import { RunConfig } from '../src/train/runConfig';

const TINY = [
  '--dataset', 'synthetic', '--limit', '256', '--validation', '128', '--batch-size', '64', '--lr', '1e-3',
  '--fcn-epochs', '1', '--no-png', '--threads', '1', '--device', 'cpu',
];

const config = (run: string): RunConfig => JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')) as RunConfig;

let tmp: string;
let sweep: string;
let run: { code: number | null; stdout: string; stderr: string };

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-trajectory-'));
  sweep = path.join(tmp, 'relax');
  const boot = writeBootScript(tmp);
  const env = { WSR_JOB_SCRIPT: writeJobBootScript(tmp) };
  run = await runBoot(boot, ['sweep', '--out', sweep, '--grid', 'cnn-epochs=1,2,3', '--grid', 'convert=best,last', '--seeds', '1-2', '--jobs', '2', ...TINY], env);
}, 600_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('a relax-time sweep', () => {
  test('finishes every point and trains exactly two CNN phases, one per seed', () => {
    expect(run.stderr).not.toMatch(/wsr-native: /);
    expect(run.code).toBe(0);
    const trajectories = fs.readdirSync(path.join(sweep, 'trajectories')).sort();
    expect(trajectories).toHaveLength(2);
    for (const t of trajectories) {
      const dir = path.join(sweep, 'trajectories', t);
      expect(config(dir).settings).toMatchObject({ cnnEpochs: 3, fcnEpochs: 0 });
      // Each CNN epoch of the trajectory was trained once.
      expect(runRecords(dir).map((r) => `${r.epoch}${r.model}`)).toEqual(['1cnn', '2cnn', '3cnn']);
    }
    const points = fs.readdirSync(sweep).filter((n) => n.startsWith('cnn-epochs='));
    expect(points).toHaveLength(12);
    const trained: string[] = [];
    for (const p of points) {
      const log = fs.readFileSync(path.join(sweep, p, 'train.log'), 'utf8');
      expect(log).toMatch(/forked from the CNN trajectory \S+ after its epoch \d/);
      expect(config(path.join(sweep, p)).forkedFrom?.run).toMatch(/trajectories\/cnn-/);
      trained.push(...(log.match(/^cnn epoch \d+\/\d+ /gm) ?? []));
    }
    // The only CNN-phase epochs any point's process trained are the trajectories' (to epoch 3), each once.
    expect(trained.sort()).toEqual(['cnn epoch 1/3 ', 'cnn epoch 1/3 ', 'cnn epoch 2/3 ', 'cnn epoch 2/3 ', 'cnn epoch 3/3 ', 'cnn epoch 3/3 ']);
  });

  test('a point forked at epoch E ends with exactly the metrics of a standalone run with --cnn-epochs E', async () => {
    for (const [epochs, convert] of [['2', 'best'], ['3', 'best'], ['2', 'last']]) {
      const alone = path.join(tmp, `alone-${epochs}-${convert}`);
      const r = await childCli(['train', ...TINY, '--cnn-epochs', epochs, '--convert', convert, '--seed', '1', '--out', alone]);
      expect(r.code).toBe(0);
      const forked = path.join(sweep, `cnn-epochs=${epochs},convert=${convert},seed=1`);
      expect(withoutSeconds(runRecords(forked))).toEqual(withoutSeconds(runRecords(alone)));
    }
    // --convert last converts other weights than best wherever the best epoch is not the last one.
    const last = runRecords(path.join(sweep, 'cnn-epochs=3,convert=last,seed=1'));
    const best = runRecords(path.join(sweep, 'cnn-epochs=3,convert=best,seed=1'));
    const cnnPhase = (rs: EpochRecord[]) => withoutSeconds(rs.filter((r) => r.phase === 'cnn' && r.model === 'cnn'));
    expect(cnnPhase(last)).toEqual(cnnPhase(best)); // one shared CNN phase
    const fcnLoss = (rs: EpochRecord[]) => rs.filter((r) => r.model === 'fcn').map((r) => r.val_loss);
    expect(best.find((r) => r.epoch === 3 && r.model === 'cnn')).toBeDefined();
    expect(fcnLoss(last)).not.toEqual(fcnLoss(best)); // the best epoch of this trajectory is not its last
  }, 600_000);

  test('a conversion epoch after the trajectory stopped early converts at the stop, as a standalone run does', async () => {
    // The tiny synthetic set's validation accuracy never improves after epoch 1: patience 1 stops the CNN at epoch 2.
    const early = path.join(tmp, 'early');
    const boot = writeBootScript(tmp);
    const env = { WSR_JOB_SCRIPT: writeJobBootScript(tmp) };
    const r = await runBoot(boot, ['sweep', '--out', early, '--grid', 'cnn-epochs=1,3', '--seeds', '1', '--patience', '1', ...TINY], env);
    expect(r.code).toBe(0);
    const forked = runRecords(path.join(early, 'cnn-epochs=3,seed=1'));
    expect(forked.filter((x) => x.model === 'cnn' && x.phase === 'cnn').map((x) => x.epoch)).toEqual([1, 2]);
    const alone = path.join(tmp, 'alone-early');
    const a = await childCli(['train', ...TINY, '--cnn-epochs', '3', '--patience', '1', '--seed', '1', '--out', alone]);
    expect(a.code).toBe(0);
    expect(withoutSeconds(forked)).toEqual(withoutSeconds(runRecords(alone)));
  }, 600_000);
});
