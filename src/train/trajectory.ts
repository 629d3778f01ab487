// Shared CNN phases (d'Ascoli et al. 2019's relax-time studies, and every sweep over branch-only
// settings): runs whose CNN phase would be identical train it once, as a CNN trajectory, and each
// forks from it at its own conversion epoch (runStart.ts), ending exactly as a standalone run would.
// A trajectory is an ordinary run folder that trains the CNN phase only, to the largest conversion
// epoch it serves, keeping the state and checkpoints of every epoch a run forks at.
import { createHash } from 'crypto';
import fs from 'fs';
import path from 'path';
import { runTraining } from './experiment';
import { ProgressStream, StopRequest } from './progress';
import { RunLockedError } from './lock';
import { readRunState, runPaths } from './runFiles';
import { TrainSettings } from './settings';

/** Settings that do not change the CNN phase (up to the conversion epoch): runs that differ only in these share a trajectory. */
export const BRANCH_ONLY_KEYS: readonly (keyof TrainSettings)[] = Object.freeze([
  'cnnEpochs', 'fcnEpochs', 'cnnContinueEpochs', 'convert', 'free', 'lcRank', 'tieEvery', 'tieStrength', 'tiePenalty', 'vcp',
]);

/** A shared CNN phase: its run folder, its settings, and the epochs runs fork from. */
export interface Trajectory {
  dir: string;
  /** The CNN phase's settings: to the largest conversion epoch, and no branches. */
  settings: TrainSettings;
  keepEpochs: number[];
}

/** What identifies a run's CNN phase: its settings but the branch-only ones, as stable text. */
export function trajectoryKey(s: TrainSettings): string {
  const entries = Object.entries(s).filter(([k]) => !(BRANCH_ONLY_KEYS as readonly string[]).includes(k));
  return JSON.stringify(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The trajectories of `runs` (resolved settings, in order), in folders under `root`: one for each
 * group of two or more runs with an FCN branch and the same CNN phase; null for a run that shares
 * its CNN phase with none (it trains as a standalone run).
 */
export function planTrajectories(runs: readonly TrainSettings[], root: string): (Trajectory | null)[] {
  const groups = new Map<string, number[]>();
  runs.forEach((s, i) => {
    if (s.fcnEpochs === 0) return;
    const key = trajectoryKey(s);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  });
  const out: (Trajectory | null)[] = runs.map(() => null);
  for (const [key, members] of groups) {
    if (members.length < 2) continue;
    const keepEpochs = [...new Set(members.map((i) => runs[i].cnnEpochs))].sort((a, b) => a - b);
    const last = keepEpochs[keepEpochs.length - 1];
    // No branches: the branch-only settings take their defaults.
    const settings: TrainSettings = {
      ...runs[members[0]], cnnEpochs: last, fcnEpochs: 0, cnnContinueEpochs: 0,
      convert: 'best', free: 'all', lcRank: null, tieEvery: 0, tieStrength: 1, tiePenalty: 0, vcp: 0,
    };
    const hash = createHash('sha1').update(key).digest('hex').slice(0, 10);
    const trajectory: Trajectory = { dir: path.join(root, `cnn-${hash}-e${last}`), settings, keepEpochs };
    for (const i of members) out[i] = trajectory;
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Trains (or resumes, or waits for another process training) `t` until its CNN phase is done.
 * Returns 'done', or 'interrupted' when `stop` was requested first.
 */
export async function ensureTrajectory(t: Trajectory, stderr: ProgressStream, stop: StopRequest, argv: string[]): Promise<'done' | 'interrupted'> {
  const paths = runPaths(t.dir);
  for (let told = false; ; ) {
    if (readRunState(paths)?.phase === 'done') return 'done';
    if (stop.requested) return 'interrupted';
    try {
      fs.mkdirSync(path.dirname(t.dir), { recursive: true });
      stderr.write(`training the shared CNN trajectory ${t.dir} to epoch ${t.settings.cnnEpochs}\n`);
      const outcome = await runTraining({ settings: t.settings, runDir: t.dir, resume: fs.existsSync(paths.config), keepEpochs: t.keepEpochs, argv, stderr, stop, png: false });
      if (outcome.status !== 'finished') return 'interrupted';
    } catch (error) {
      if (!(error instanceof RunLockedError)) throw error;
      if (!told) stderr.write(`waiting for the shared CNN trajectory ${t.dir}: ${error.message}\n`);
      told = true;
      await sleep(2000);
    }
  }
}
