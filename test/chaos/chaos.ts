// The chaos test: sweeps and runs that survive their own death. Its own CI stage (`node
// test/chaos/run.js`), not part of `npm test`; a few minutes on two cores.
//
// A small synthetic sweep (2 settings × 2 seeds, two points at a time, one thread each) is
//   1. killed at named points through the test hook (src/util/testHooks.ts): inside a checkpoint
//      write, inside a metrics append, during figure rendering, between the conversion and the
//      first branch epoch — each point's child kills itself there, and the marker file proves
//      every named point was reached;
//   2. killed with SIGKILL at seeded random moments, the sweep itself or one of its children (then
//      the sweep), each kill followed at once by a re-run — which must wait for the dead sweep's
//      children as they stop by themselves, and fail no point that was not killed;
//   3. left to finish.
// Then a single `train` gets the same: killed at each named point, then at random moments, each
// followed by `train --resume`, then left to finish.
// Afterwards every run's metrics equal those of an uninterrupted run with the same settings and
// threads in every column but `seconds` (metrics.jsonl and metrics.csv), every (epoch, model) is
// recorded exactly once, no row is torn, no lock or temporary file is left, and no process is
// left behind. The seed is printed; WSR_CHAOS_SEED=N replays the same plan (the moments the kills
// land on still depend on the machine's speed). WSR_CHAOS_KEEP=1 keeps the work folder.
import assert from 'assert/strict';
import { ChildProcess, spawn } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';
import { readMetricsJsonl } from '../../src/report/jsonl';
import { parseCsvRows } from '../../src/report/csv';
import { lockHolder } from '../../src/train/lock';
import { KILL_POINTS, KillPoint } from '../../src/util/testHooks';
import { makeRng } from '../helpers/random';
import { writeBootScript, writeJobBootScript } from '../sweep_helpers';

const root = path.join(__dirname, '..', '..');
const started = Date.now();
const seed = process.env.WSR_CHAOS_SEED ? Number(process.env.WSR_CHAOS_SEED) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(seed) || seed < 0) throw new Error(`WSR_CHAOS_SEED must be a non-negative integer, got ${process.env.WSR_CHAOS_SEED}`);
/** Random kills of the sweep (each may add a second kill), and of the single run. */
const SWEEP_ROUNDS = 5;
const TRAIN_ROUNDS = 3;
/**
 * How many times a process passes each named point before it is killed there, at most: the points
 * come in this order, and these keep every run short of its conversion until after-conversion
 * (a checkpoint write of epoch ≤ 2, an append of epoch ≤ 3, the render after the next epoch).
 */
const MAX_SKIP: Record<KillPoint, number> = { 'checkpoint-write': 1, 'metrics-append': 1, 'figure-render': 0, 'after-conversion': 0 };
/** No invocation may run longer than this. */
const INVOCATION_LIMIT_MS = 240_000;

const random = makeRng(seed); // the same seed, the same plan
const between = (lo: number, hi: number): number => lo + (hi - lo) * random();

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wsr-chaos-'));
const logs = path.join(work, 'logs');
fs.mkdirSync(logs);
const boot = writeBootScript(work);
const marker = path.join(work, 'kill-marker.txt');
const baseEnv = { WSR_JOB_SCRIPT: writeJobBootScript(work) };

const say = (text: string): void => {
  process.stdout.write(`[chaos ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${text}\n`);
};

// ---- the settings: every point as small as a real run can be; one thread each -------------------

const TRAIN = [
  '--dataset', 'synthetic', '--limit', '256', '--validation', '128', '--batch-size', '64', '--cnn-epochs', '3',
  '--fcn-epochs', '2', '--lr', '1e-3', '--no-robustness', '--no-png', '--device', 'cpu', '--threads', '1',
];
const sweepArgs = (out: string): string[] => ['sweep', '--out', out, '--grid', 'noise=0,0.3', '--seeds', '1-2', '--jobs', '2', ...TRAIN];
const POINTS = ['noise=0,seed=1', 'noise=0,seed=2', 'noise=0.3,seed=1', 'noise=0.3,seed=2'];
/** The single run has the settings of one point, so that point of the reference sweep is its reference. */
const SINGLE_POINT = 'noise=0.3,seed=2';
const SINGLE = [...TRAIN, '--noise', '0.3', '--seed', '2'];

// ---- processes --------------------------------------------------------------------------------

interface Invocation {
  proc: ChildProcess;
  label: string;
  output(): string;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
}

let invocations = 0;
/** Starts `node boot args…` (the CLI from the TypeScript sources), its output kept in logs/. */
function start(label: string, args: string[], env: NodeJS.ProcessEnv = {}): Invocation {
  const n = String(++invocations).padStart(2, '0');
  const file = path.join(logs, `${n}-${label.replace(/[^\w.=,-]+/g, '_')}.log`);
  const proc = spawn(process.execPath, [boot, ...args], { cwd: root, env: { ...process.env, ...baseEnv, ...env } });
  let text = '';
  const add = (d: Buffer): void => {
    text += d.toString();
    fs.appendFileSync(file, d);
  };
  proc.stdout!.on('data', add);
  proc.stderr!.on('data', add);
  const timer = setTimeout(() => proc.kill('SIGKILL'), INVOCATION_LIMIT_MS);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output: text });
    }),
  );
  return { proc, label, output: () => text, done };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves after `ms`, or when `inv` ends: true when it ended. */
async function endsWithin(inv: Invocation, ms: number): Promise<boolean> {
  let ended = false;
  await Promise.race([sleep(ms), inv.done.then(() => (ended = true))]);
  return ended;
}

/** The processes whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  return procEntries()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid);
}

/** Every process with its parent and command line (from /proc). */
function procEntries(): { pid: number; ppid: number; state: string; cmdline: string }[] {
  const out: { pid: number; ppid: number; state: string; cmdline: string }[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(name), ppid: Number(fields[1]), state: fields[0], cmdline });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Live processes started from this test's folder (a zombie, dead and writing nothing, is not one). */
const leftovers = (): string[] =>
  procEntries()
    .filter((p) => p.pid !== process.pid && p.state !== 'Z' && p.cmdline.includes(work))
    .map((p) => `${p.pid} ${p.cmdline.trim()}`);

/** Waits until none of `pids` is alive (a zombie counts as gone); returns those still alive. */
async function gone(pids: number[], ms: number): Promise<number[]> {
  const alive = (): number[] => pids.filter((pid) => procEntries().some((p) => p.pid === pid && p.state !== 'Z'));
  for (const end = Date.now() + ms; Date.now() < end && alive().length > 0; ) await sleep(100);
  return alive();
}

/**
 * Checks a sweep run's output: no point fails for a reason other than a kill (a child killed by
 * SIGKILL: the chaos test's or its own hook's), none is refused as "in use", nothing else went wrong.
 */
function checkSweepOutput(label: string, output: string): void {
  assert.doesNotMatch(output, /in use by another wsr-native process/, `${label}: a point was refused as in use`);
  for (const line of output.split('\n').filter((l) => /^failed /.test(l))) {
    assert.match(line, /^failed \S+ after [\d:]+: killed by SIGKILL;/, `${label}: a point failed for another reason than a kill: ${line}`);
  }
  const errors = output.split('\n').filter((l) => l.startsWith('wsr-native: ') && !/^wsr-native: could not aggregate|^wsr-native: .*unfinished/.test(l));
  assert.deepEqual(errors, [], `${label}: errors`);
}

// ---- the checks of a finished run against its reference -------------------------------------------

/** metrics.csv as rows of cells without the `seconds` column. */
function csvWithoutSeconds(file: string): string[][] {
  const rows = parseCsvRows(fs.readFileSync(file, 'utf8')).map((r) => r.cells);
  const width = rows[0].length;
  rows.forEach((r, i) => assert.equal(r.length, width, `${file}: row ${i + 1} is torn (${r.length} cells, the header has ${width})`));
  const seconds = rows[0].indexOf('seconds');
  assert.ok(seconds >= 0, `${file}: no seconds column`);
  return rows.map((r) => r.filter((_, i) => i !== seconds));
}

function checkRun(run: string, reference: string): void {
  const name = path.relative(work, run);
  const jsonl = readMetricsJsonl(path.join(run, 'metrics.jsonl'), () => {});
  assert.equal(jsonl.torn, null, `${name}/metrics.jsonl: a torn last line`);
  const ours = jsonl.records.map(({ seconds: _s, ...rest }) => rest);
  const theirs = readMetricsJsonl(path.join(reference, 'metrics.jsonl')).records.map(({ seconds: _s, ...rest }) => rest);
  const keys = ours.map((r) => `${r.epoch}${r.model}`);
  assert.equal(new Set(keys).size, keys.length, `${name}: an (epoch, model) recorded twice: ${keys.join(' ')}`);
  assert.deepEqual(keys, theirs.map((r) => `${r.epoch}${r.model}`), `${name}: not the reference's epochs`);
  assert.deepEqual(ours, theirs, `${name}/metrics.jsonl differs from the uninterrupted run's`);
  assert.deepEqual(csvWithoutSeconds(path.join(run, 'metrics.csv')), csvWithoutSeconds(path.join(reference, 'metrics.csv')), `${name}/metrics.csv differs`);
  const state = JSON.parse(fs.readFileSync(path.join(run, 'checkpoints', 'state.json'), 'utf8')) as { phase: string };
  assert.equal(state.phase, 'done', `${name}: not finished`);
  // A process killed after its run was complete, while letting go of the folder, leaves its lock: a stale one, never a live one.
  assert.ok(lockHolder(run) === null || lockHolder(run)!.stale !== null, `${name}: its lock is held`);
  for (const dir of ['', 'checkpoints', 'figures']) {
    const temps = fs.readdirSync(path.join(run, dir)).filter((f) => f.endsWith('.tmp'));
    assert.deepEqual(temps, [], `${name}/${dir}: temporary files left`);
  }
}

/** The marker's entries: which named points were reached, by how many processes. */
function reached(): Map<KillPoint, number> {
  const counts = new Map<KillPoint, number>();
  const text = fs.existsSync(marker) ? fs.readFileSync(marker, 'utf8') : '';
  for (const line of text.split('\n').filter(Boolean)) {
    const point = line.split(' ')[0] as KillPoint;
    counts.set(point, (counts.get(point) ?? 0) + 1);
  }
  return counts;
}

// ---- the sweep ------------------------------------------------------------------------------------

async function sweepChaos(reference: string): Promise<string> {
  const out = path.join(work, 'sweep');
  const orphansOfKilledSweeps: number[] = [];
  /** For each killed sweep: how long its children took to stop by themselves (ms). */
  const stops: Promise<number>[] = [];
  let kills = 0;

  // 1. Named points: each unfinished point's child kills itself there.
  for (const point of KILL_POINTS) {
    const skip = Math.floor(between(0, MAX_SKIP[point] + 1));
    const before = reached().get(point) ?? 0;
    say(`sweep, named point ${point} (passed ${skip} time(s) first by each child)`);
    const inv = start(`sweep-kill-at-${point}`, sweepArgs(out), { WSR_TEST_KILL_AT: point, WSR_TEST_KILL_SKIP: String(skip), WSR_TEST_KILL_MARKER: marker });
    const r = await inv.done;
    checkSweepOutput(inv.label, r.output);
    const now = reached().get(point) ?? 0;
    say(`  reached ${point} in ${now - before} child(ren); sweep exit ${r.code}`);
  }
  for (const point of KILL_POINTS) assert.ok((reached().get(point) ?? 0) > 0, `the sweep's children never reached ${point}`);

  // 2. Random kills, each followed at once by a re-run.
  for (let round = 1; round <= SWEEP_ROUNDS; round++) {
    const delay = between(1_000, 8_000);
    const target = random() < 0.5 ? 'sweep' : 'child';
    const pick = random();
    const second = between(500, 4_000);
    const inv = start(`sweep-round-${round}`, sweepArgs(out));
    if (await endsWithin(inv, delay)) {
      const r = await inv.done;
      checkSweepOutput(inv.label, r.output);
      say(`round ${round}: the sweep ended (exit ${r.code}) before its kill at ${(delay / 1000).toFixed(1)} s`);
      if (r.code === 0) break;
      continue;
    }
    const children = childrenOf(inv.proc.pid!);
    if (target === 'child' && children.length > 0) {
      const victim = children[Math.floor(pick * children.length)];
      process.kill(victim, 'SIGKILL');
      kills++;
      say(`round ${round}: kill -9 child ${victim} of the sweep at ${(delay / 1000).toFixed(1)} s; the sweep goes on`);
      if (await endsWithin(inv, second)) {
        const r = await inv.done;
        checkSweepOutput(inv.label, r.output);
        say(`round ${round}: the sweep ended (exit ${r.code})`);
        continue;
      }
    }
    const orphans = childrenOf(inv.proc.pid!);
    inv.proc.kill('SIGKILL');
    kills++;
    orphansOfKilledSweeps.push(...orphans);
    const killedAt = Date.now();
    stops.push(gone(orphans, 60_000).then((left) => (left.length > 0 ? Infinity : Date.now() - killedAt)));
    const r = await inv.done;
    checkSweepOutput(inv.label, r.output);
    say(`round ${round}: kill -9 the sweep ${inv.proc.pid}; its children ${orphans.join(', ') || '(none)'} must stop by themselves; re-run at once`);
  }

  // 3. Left to finish.
  say('the sweep, left to finish');
  const last = start('sweep-finish', sweepArgs(out));
  const r = await last.done;
  checkSweepOutput(last.label, r.output);
  assert.equal(r.code, 0, `the last sweep run exited ${r.code}:\n${r.output.slice(-3000)}`);
  const waits = fs
    .readdirSync(logs)
    .map((f) => fs.readFileSync(path.join(logs, f), 'utf8'))
    .join('\n')
    .split('\n')
    .filter((l) => /^wait /.test(l));
  const slowest = Math.max(0, ...(await Promise.all(stops)));
  say(`${kills} random SIGKILL(s); the children of a killed sweep stopped by themselves within ${(slowest / 1000).toFixed(1)} s; re-runs waited ${waits.length} time(s) for a point still held by one`);
  assert.deepEqual(await gone(orphansOfKilledSweeps, 1_000), [], 'children of a killed sweep still run');
  // Within an epoch and the figures it was drawing (an epoch here takes about a second; the machine may be shared).
  assert.ok(slowest < 20_000, `the children of a killed sweep took ${slowest} ms to stop`);
  for (const point of POINTS) checkRun(path.join(out, point), path.join(reference, point));
  return out;
}

// ---- the single run -------------------------------------------------------------------------------

async function trainChaos(reference: string): Promise<void> {
  const run = path.join(work, 'train');
  const args = (): string[] => (fs.existsSync(path.join(run, 'config.json')) ? ['train', '--resume', run] : ['train', ...SINGLE, '--out', run]);
  const killedAt = new Map<KillPoint, number>();
  for (const point of KILL_POINTS) {
    const skip = Math.floor(between(0, MAX_SKIP[point] + 1));
    const before = reached().get(point) ?? 0;
    const inv = start(`train-kill-at-${point}`, args(), { WSR_TEST_KILL_AT: point, WSR_TEST_KILL_SKIP: String(skip), WSR_TEST_KILL_MARKER: marker });
    const r = await inv.done;
    killedAt.set(point, (reached().get(point) ?? 0) - before);
    say(`train, named point ${point} (passed ${skip} time(s) first): ${r.signal === 'SIGKILL' ? 'killed there' : `exit ${r.code}`}`);
    assert.ok(r.signal === 'SIGKILL' ? killedAt.get(point) === 1 : r.code === 0, `train at ${point}: exit ${r.code}, ${r.signal}:\n${r.output.slice(-2000)}`);
  }
  for (let round = 1; round <= TRAIN_ROUNDS; round++) {
    const delay = between(1_000, 5_000); // what is left after the conversion takes a few seconds
    const inv = start(`train-round-${round}`, args());
    if (await endsWithin(inv, delay)) {
      const r = await inv.done;
      say(`train round ${round}: ended (exit ${r.code}) before its kill at ${(delay / 1000).toFixed(1)} s`);
      assert.equal(r.code, 0, `train round ${round}:\n${r.output.slice(-2000)}`);
      break;
    }
    inv.proc.kill('SIGKILL');
    await inv.done;
    say(`train round ${round}: kill -9 at ${(delay / 1000).toFixed(1)} s; --resume at once`);
  }
  const last = start('train-finish', args());
  const r = await last.done;
  assert.equal(r.code, 0, `the last train --resume exited ${r.code}:\n${r.output.slice(-3000)}`);
  assert.doesNotMatch(r.output, /^wsr-native: /m);
  const settings = (dir: string): unknown => (JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as { settings: unknown }).settings;
  assert.deepEqual(settings(run), settings(path.join(reference, SINGLE_POINT)), 'the single run does not have its reference point\'s settings');
  checkRun(run, path.join(reference, SINGLE_POINT));
  const missed = KILL_POINTS.filter((p) => killedAt.get(p) !== 1);
  say(`train: killed at ${KILL_POINTS.length - missed.length} named point(s)${missed.length ? ` (finished before reaching ${missed.join(', ')})` : ''}`);
}

export async function main(): Promise<number> {
  say(`seed ${seed} (replay the plan: WSR_CHAOS_SEED=${seed} node test/chaos/run.js); work folder ${work}`);
  let ok = false;
  try {
    say('the reference: the same sweep, uninterrupted');
    const reference = path.join(work, 'reference');
    const ref = await start('reference', sweepArgs(reference)).done;
    assert.equal(ref.code, 0, `the reference sweep failed:\n${ref.output.slice(-3000)}`);
    await sweepChaos(reference);
    await trainChaos(reference);
    const counts = [...reached()].map(([p, n]) => `${p} ×${n}`).join(', ');
    say(`named points reached: ${counts}`);
    const left = await (async () => {
      for (let i = 0; i < 100 && leftovers().length > 0; i++) await sleep(100);
      return leftovers();
    })();
    assert.deepEqual(left, [], 'processes left behind');
    say(`passed: every run's metrics equal the uninterrupted run's, every epoch once, no torn row, nothing left behind (seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    ok = true;
    return 0;
  } catch (error) {
    say(`FAILED (seed ${seed}): ${(error as Error).stack ?? error}`);
    say(`the work folder is kept: ${work} (logs/ has every invocation's output)`);
    return 1;
  } finally {
    for (const line of leftovers()) {
      const pid = Number(line.split(' ')[0]);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    if (ok && process.env.WSR_CHAOS_KEEP !== '1') fs.rmSync(work, { recursive: true, force: true });
  }
}
